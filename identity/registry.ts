import { setTimeout as sleep } from 'node:timers/promises';

/** What the state registries are asked: is this passport and SNILS one real person? */
export interface RegistryQuery {
  snils: string;
  passportSeries: string;
  passportNumber: string;
  birthDate: string;
  citizenship: 'RU' | 'foreign';
}

export type RegistryAnswer = { matched: true } | { matched: false; reason: string };

/**
 * The state registries (MVD for passports, SFR for SNILS) behind one interface, chosen by
 * configuration (`registryFromConfig`). A plain error thrown is transient and retried; a
 * `RegistryAnswerError` says the registry answered something no retry will change.
 */
export interface IdentityRegistry {
  verify(query: RegistryQuery): Promise<RegistryAnswer>;
}

/** The registry answered, but not with a verdict: never taken for a match, and not retried. */
export class RegistryAnswerError extends Error {
  override readonly name = 'RegistryAnswerError';
}

export interface SimulatedRegistryOptions {
  /** Typical answer time in ms; the real registries take from seconds to hours. */
  latencyMs: number;
  /** Share of calls that fail with a transient error (0..1). */
  failureRate: number;
  /** Deterministic outages for tests: the first N calls fail. */
  failFirst?: number;
  random?: () => number;
}

/** Test data of the simulated registry: this passport number is unknown to it. */
export const SIMULATED_UNKNOWN_PASSPORT = '000000';

export function createSimulatedRegistry(opts: SimulatedRegistryOptions): IdentityRegistry & { calls: number } {
  const random = opts.random ?? Math.random;
  const registry = {
    calls: 0,
    async verify(query: RegistryQuery): Promise<RegistryAnswer> {
      registry.calls++;
      await sleep(Math.round(opts.latencyMs * (0.5 + random())));
      if (registry.calls <= (opts.failFirst ?? 0) || random() < opts.failureRate) {
        throw new Error('registry unavailable (simulated)');
      }
      if (query.passportNumber === SIMULATED_UNKNOWN_PASSPORT) {
        return { matched: false, reason: 'the passport is not found in the MVD registry' };
      }
      return { matched: true };
    },
  };
  return registry;
}
