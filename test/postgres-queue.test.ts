/**
 * postgres.js's connection queues, as patched (patches/postgres+*.patch): a queue that never
 * drains used to keep one slot per query ever shifted and scan them all on every `remove`,
 * so a pool's throughput fell the longer it stayed busy (37,700 → 8,500 queries/s within
 * 16 s here). The patch searches only the live slots and drops the shifted ones once they
 * are the larger part; this checks that the queue still behaves as one across that.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../temporal/binaries';

interface Queue<T> {
  readonly length: number;
  push(x: T): T;
  shift(): T | undefined;
  remove(x: T): T | null;
}
type QueueOf = <T>(initial?: T[]) => Queue<T>;

// The module the ESM build imports; the package's exports do not name it.
const modulePath = pathToFileURL(path.join(PROJECT_ROOT, 'node_modules', 'postgres', 'src', 'queue.js')).href;
const { default: makeQueue } = (await import(modulePath)) as { default: QueueOf };

type Op = { op: 'push' } | { op: 'shift' } | { op: 'remove'; nth: number };
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ op: 'push' as const }) },
  { weight: 4, arbitrary: fc.constant({ op: 'shift' as const }) },
  { weight: 1, arbitrary: fc.nat(20).map((nth) => ({ op: 'remove' as const, nth })) },
);

describe('postgres.js connection queue', () => {
  it('answers as a first-in first-out list with removal, whatever the order of operations', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 5_000 }), (ops) => {
        const queue = makeQueue<number>();
        const model: number[] = [];
        let next = 0;
        for (const o of ops) {
          if (o.op === 'push') {
            queue.push(next);
            model.push(next++);
          } else if (o.op === 'shift') {
            expect(queue.shift()).toBe(model.shift());
          } else {
            const x = model.length ? model[o.nth % model.length]! : -1;
            const at = model.indexOf(x);
            expect(queue.remove(x)).toBe(at === -1 ? null : x);
            if (at !== -1) model.splice(at, 1);
          }
          expect(queue.length).toBe(model.length);
        }
      }),
    );
  });

  it('keeps order and finds every live entry in a queue that never drains (the pool under steady load)', () => {
    const queue = makeQueue<number>();
    const live = [0, 1, 2];
    for (const x of live) queue.push(x);
    // Far more rounds than the point at which shifted slots are dropped, several times over.
    for (let n = 3; n < 50_000; n++) {
      expect(queue.shift()).toBe(live.shift());
      queue.push(n);
      live.push(n);
      if (n % 997 === 0) {
        // A connection leaving the busy queue from its middle.
        const middle = live.splice(1, 1)[0]!;
        expect(queue.remove(middle)).toBe(middle);
        queue.push(middle);
        live.push(middle);
      }
    }
    expect(queue.length).toBe(live.length);
    expect(queue.remove(-1)).toBeNull();
    expect(Array.from({ length: live.length }, () => queue.shift())).toEqual(live);
  });
});
