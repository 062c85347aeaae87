import { Writable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { createLogger, deferredChild } from '../logger';

/** A logger at debug level whose lines are kept, parsed. */
function captured() {
  const lines: string[] = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { log: createLogger({ logLevel: 'debug' }, out), text: () => lines.join(''), last: () => JSON.parse(lines.at(-1)!) as Record<string, unknown> };
}

/** What postgres.js throws for a failed statement: the failing row in `detail`, the statement and its values besides. */
function postgresError(): Error {
  const err = Object.assign(new Error('new row for relation "accounts" violates check constraint "accounts_name_check"'), {
    name: 'PostgresError',
    code: '23514',
    detail: 'Failing row contains (acc-1, Иванов Иван, +79990001122, ivanov@example.ru).',
    constraint_name: 'accounts_name_check',
    table_name: 'accounts',
    query: "insert into accounts values ('Иванов Иван')",
    parameters: ['Иванов Иван', '+79990001122'],
  });
  Object.defineProperty(err, 'constructor', { value: { name: 'PostgresError' } });
  return err;
}

describe('the logger', () => {
  it('censors personal keys at any depth, keeping what is not personal', () => {
    const { log, last, text } = captured();
    log.info(
      {
        caseNumber: 'A-2026-0000001',
        route: '/cases/:number',
        namespace: 'default',
        applicant: { profile: { person: { fullName: 'Иванов Иван', birthDate: '1980-01-02', inn: '500100732259', snils: '112-233-445 95' } } },
        items: [{ passport_number: '4506 731942', homeAddress: 'г. Тверь, ул. Советская, 5', login: 'ivanov@example.ru' }],
      },
      'something happened',
    );
    expect(last()).toMatchObject({
      msg: 'something happened',
      caseNumber: 'A-2026-0000001',
      route: '/cases/:number',
      namespace: 'default',
      applicant: { profile: { person: { fullName: '[redacted]', birthDate: '[redacted]', inn: '[redacted]', snils: '[redacted]' } } },
      items: [{ passport_number: '[redacted]', homeAddress: '[redacted]', login: '[redacted]' }],
    });
    expect(text()).not.toMatch(/Иванов|1980-01-02|500100732259|112-233|731942|Советская|ivanov@/);
  });

  it('censors a flat line too, where no value is an object, and keeps a line of plain facts as it is', () => {
    const { log, last, text } = captured();
    log.info({ caseNumber: 'A-2026-0000001', phone: '+79161234567', contactEmail: 'ivanov@example.ru', copies: 2 }, 'contact changed');
    expect(last()).toMatchObject({ caseNumber: 'A-2026-0000001', phone: '[redacted]', contactEmail: '[redacted]', copies: 2 });
    log.info({ method: 'GET', route: '/cases/:number', status: 200, ms: 3, caseNumber: 'A-2026-0000001' }, 'request');
    expect(last()).toMatchObject({ method: 'GET', route: '/cases/:number', status: 200, ms: 3, caseNumber: 'A-2026-0000001', msg: 'request' });
    expect(text()).not.toMatch(/79161234567|ivanov@/);
  });

  it('logs a database error by its type, codes and frames: never its message, detail, query or parameters', () => {
    const { log, last, text } = captured();
    const wrapped = new Error('Failed query: insert into accounts ... params: Иванов Иван,+79990001122', { cause: postgresError() });
    log.error({ err: wrapped, caseNumber: 'I-2026-0000002' }, 'request failed');
    log.error(postgresError());
    expect(text()).not.toMatch(/Иванов|79990001122|ivanov@|Failing row|insert into/);
    expect(last()).toMatchObject({ msg: 'PostgresError', err: { type: 'PostgresError', code: '23514', constraint_name: 'accounts_name_check', table_name: 'accounts' } });
    const first = JSON.parse(text().split('\n')[0]!) as { err: { type: string; stack: string; cause: Record<string, unknown> } };
    expect(first.err).toMatchObject({ type: 'Error', cause: { type: 'PostgresError', code: '23514' } });
    expect(first.err.stack).toMatch(/^at .*logger\.test\.ts/);
  });

  it('drops an error told as a string, and names objects it was not meant to walk', () => {
    const { log, last } = captured();
    class Request {
      headers = { authorization: 'Bearer secret-token' };
    }
    log.warn({ error: 'no account with e-mail ivanov@example.ru', req: new Request(), seqs: [1, 2] }, 'notices could not be delivered');
    expect(last()).toMatchObject({ error: '[redacted]', req: '[Request]', seqs: [1, 2] });
  });
});

describe('a request’s deferred logger', () => {
  it('makes its child only when something is logged, and the lines carry its bindings, censored as any', () => {
    const { log, last, text } = captured();
    const child = vi.spyOn(log, 'child');
    const request = deferredChild(log, { reqId: 'req-1' }, {});
    expect(child).not.toHaveBeenCalled();
    request.warn({ code: 'StaleVersion', email: 'ivanov@example.ru' }, 'conflict');
    expect(last()).toMatchObject({ level: 40, reqId: 'req-1', code: 'StaleVersion', email: '[redacted]', msg: 'conflict' });
    request.info('again');
    expect(last()).toMatchObject({ reqId: 'req-1', msg: 'again' });
    expect(child).toHaveBeenCalledTimes(1);
    // Its level is the child's own: raised, it keeps info lines out.
    request.level = 'warn';
    request.info('not logged');
    expect(text()).not.toContain('not logged');
    expect(log.level).toBe('debug');
  });
});
