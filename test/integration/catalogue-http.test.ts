import { afterAll, beforeAll, expect, it } from 'vitest';
import { get } from '../support/http';
import { startStack, testService, type Stack } from '../support/stack';

let stack: Stack;
const passport = testService({ code: 'passport-replace', name: 'Замена паспорта гражданина РФ', category: 'registration', agency: 'mvd' });
const deduction = testService({ code: 'tax-deduction', name: 'Имущественный налоговый вычет', category: 'tax', agency: 'fns' });
const benefit = testService({ code: 'child-benefit', name: 'Ежемесячная выплата на ребёнка', category: 'social', agency: 'sfr' });

beforeAll(async () => {
  stack = await startStack();
  for (const s of [passport, deduction, benefit]) await stack.addService(s);
});
afterAll(async () => stack?.close());

const search = async (query: string) => {
  const res = await get(stack, undefined, `/catalogue?${query}`);
  return { status: res.statusCode, body: res.json() };
};

it('finds services by word prefixes, case-insensitively, for autocomplete', async () => {
  expect((await search('q=' + encodeURIComponent('пасп'))).body.items.map((s: { code: string }) => s.code)).toEqual(['passport-replace']);
  expect((await search('q=' + encodeURIComponent('НАЛОГ выч'))).body.items.map((s: { code: string }) => s.code)).toEqual(['tax-deduction']);
  expect((await search('q=' + encodeURIComponent('ребё вып'))).body.total).toBe(1);
  expect((await search('q=' + encodeURIComponent('пасп вычет'))).body.total).toBe(0);
  // tsquery syntax in user input is just text.
  expect((await search('q=' + encodeURIComponent("пасп:* | ' & !"))).status).toBe(200);
});

it('filters by category and agency and refuses an unknown category', async () => {
  expect((await search('category=tax')).body.items.map((s: { code: string }) => s.code)).toEqual(['tax-deduction']);
  expect((await search('agency=sfr')).body.items.map((s: { code: string }) => s.code)).toEqual(['child-benefit']);
  const bad = await search('category=astrology');
  expect(bad.status).toBe(400);
  expect(bad.body.errors[0].path).toBe('/querystring/category');
});

it('shows one service with its form schema, and 404 for an unknown code', async () => {
  const one = await get(stack, undefined, '/catalogue/passport-replace');
  expect(one.statusCode).toBe(200);
  expect(one.json()).toMatchObject({ code: 'passport-replace', formSchema: { type: 'object' }, term: { days: 15 } });
  const missing = await get(stack, undefined, '/catalogue/nope');
  expect(missing.statusCode).toBe(404);
  expect(missing.headers['content-type']).toContain('application/problem+json');
});

it('serves an OpenAPI document describing every route, and a docs page', async () => {
  const doc = await get(stack, undefined, '/docs/json');
  expect(doc.statusCode).toBe(200);
  const spec = doc.json();
  expect(spec.openapi).toMatch(/^3\./);
  for (const path of ['/cases', '/cases/{number}', '/cases/{number}/decide', '/queue', '/documents', '/payments/callback', '/catalogue']) {
    expect(Object.keys(spec.paths)).toContain(path);
  }
  expect(spec.paths['/cases/{number}/decide'].post.responses).toHaveProperty('409');
  const page = await get(stack, undefined, '/docs');
  expect([200, 302]).toContain(page.statusCode);
});
