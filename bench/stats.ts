/** Small statistics for the benchmark: percentiles, median and spread of repetitions. */

export interface LoadResult {
  seconds: number;
  ok: number;
  failed: number;
  perSecond: number;
  /** Milliseconds. */
  p50: number;
  p99: number;
  firstError?: string;
  statusCodes?: Record<string, { count: number }>;
  workflowIds?: string[];
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function latencySummary(ms: number[]): { p50: number; p99: number } {
  const s = [...ms].sort((a, b) => a - b);
  return { p50: round(percentile(s, 50)), p99: round(percentile(s, 99)) };
}

export function median(xs: number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Spread of repetitions: (max − min) / median, as a fraction. */
export function spread(xs: number[]): number {
  const s = xs.filter((x) => Number.isFinite(x));
  const m = median(s);
  if (s.length < 2 || !m) return 0;
  return round((Math.max(...s) - Math.min(...s)) / m, 3);
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
