import { describe, expect, it } from 'vitest';
import { routineRead } from '../api/request-log';

describe('the request line of a read', () => {
  it('is routine (logged at debug) only for a GET or HEAD answered below 400 within a second', () => {
    expect(routineRead('GET', 200, 3)).toBe(true);
    expect(routineRead('HEAD', 304, 999)).toBe(true);
    // A slow read, a refused or failed one, and every action are logged at info.
    expect(routineRead('GET', 200, 1000)).toBe(false);
    expect(routineRead('GET', 404, 3)).toBe(false);
    expect(routineRead('GET', 500, 3)).toBe(false);
    expect(routineRead('POST', 200, 3)).toBe(false);
    expect(routineRead('DELETE', 204, 3)).toBe(false);
  });
});
