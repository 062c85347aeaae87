import type { Activities } from '../../activities';

/**
 * Holds the projections of chosen cases until let go: their actions are in the case but
 * not answered (the projection is a local activity of the case's workflow task), as they
 * would be on a slow database. Records, for every case, which journal entry types reached
 * its projection: an action that did is in its case.
 */
export function projectionGate() {
  const gates = new Map<string, Promise<void>>();
  const reached = new Map<string, Set<string>>();
  const releases = new Set<() => void>();
  return {
    wrap: (real: Activities): Activities => ({
      ...real,
      async projectCase(batch) {
        const { number } = batch.projection;
        const types = reached.get(number) ?? new Set();
        for (const e of batch.entries) types.add(e.type);
        reached.set(number, types);
        await gates.get(number);
        return real.projectCase(batch);
      },
    }),
    /** Holds these cases' projections; the function returned lets them go. */
    hold(numbers: string[]): () => void {
      let letGo!: () => void;
      const gate = new Promise<void>((resolve) => (letGo = resolve));
      for (const n of numbers) gates.set(n, gate);
      const release = () => {
        for (const n of numbers) gates.delete(n);
        releases.delete(release);
        letGo();
      };
      releases.add(release);
      return release;
    },
    /** Lets every held case go: a worker shuts down only once its activities have finished. */
    releaseAll: () => releases.forEach((release) => release()),
    /** Whether an entry of `type` of the case reached its projection (held or not). */
    reached: (number: string, type: string) => reached.get(number)?.has(type) ?? false,
  };
}
