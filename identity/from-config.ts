import type { Config } from '../config';
import { createHttpRegistry } from './http-registry';
import { createSimulatedRegistry, type IdentityRegistry } from './registry';

/** The state registries the worker asks: the configured gateway, or the simulation outside production. */
export function registryFromConfig(config: Config): IdentityRegistry {
  const r = config.identity.registry;
  return r.adapter === 'http' ? createHttpRegistry(r) : createSimulatedRegistry(r);
}
