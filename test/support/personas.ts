/**
 * The people of the HTTP tests, the same in every file. alice and bob own the demo
 * vehicles; reviewers work mvd (rita, rob, supervisor sam), fns (fedor) or the traffic
 * police (igor, inna); erik examines appeals; olga confirms identities in person.
 */
import type { Principal } from '../../core/principal';

export const alice: Principal = { id: 'alice', role: 'citizen', level: 'confirmed' };
export const bob: Principal = { id: 'bob', role: 'citizen', level: 'confirmed' };
export const dora: Principal = { id: 'dora', role: 'citizen', level: 'confirmed' };
export const rita: Principal = { id: 'rita', role: 'reviewer', agency: 'mvd' };
export const rob: Principal = { id: 'rob', role: 'reviewer', agency: 'mvd' };
export const sam: Principal = { id: 'sam', role: 'reviewer', agency: 'mvd', supervisor: true };
export const fedor: Principal = { id: 'fedor', role: 'reviewer', agency: 'fns' };
export const igor: Principal = { id: 'igor', role: 'reviewer', agency: 'gibdd' };
export const inna: Principal = { id: 'inna', role: 'reviewer', agency: 'gibdd' };
export const erik: Principal = { id: 'erik', role: 'expert' };
export const olga: Principal = { id: 'olga', role: 'operator' };
