import { notFound } from '../core/failures';
import type { Principal } from '../core/principal';
import { EPTS_AGENCY } from '../core/vehicle';
import type { Db } from '../db/client';
import { getPassport, getVehicle, listPassportVersions, type PassportVersion } from '../db/queries/vehicles';

/**
 * The vehicle, if this caller may read its passport: its current owner, an official of
 * the agency that keeps passports, or an admin. Everyone else, a former owner too, gets
 * the same 404 as for an unknown VIN, so VINs cannot be probed for owners.
 */
export async function vehicleVisibleTo(db: Db, who: Principal, vin: string) {
  const vehicle = await getVehicle(db, vin);
  const allowed =
    vehicle &&
    (who.role === 'admin' || (who.role === 'citizen' && vehicle.ownerId === who.id) || (who.role === 'reviewer' && who.agency === EPTS_AGENCY));
  if (!allowed) throw notFound(`vehicle ${vin}`);
  return vehicle;
}

/** A vehicle's passport as this caller may read it: the current version, or the one asked for. */
export async function passportVisibleTo(db: Db, who: Principal, vin: string, version?: number): Promise<PassportVersion> {
  const vehicle = await vehicleVisibleTo(db, who, vin);
  const passport = await getPassport(db, vehicle.vin, version);
  if (!passport) throw notFound(version === undefined ? `vehicle ${vehicle.vin}` : `version ${version} of the passport of ${vehicle.vin}`);
  return passport;
}

/** Every version of a vehicle's passport this caller may read, oldest first. */
export async function passportVersionsVisibleTo(db: Db, who: Principal, vin: string) {
  const vehicle = await vehicleVisibleTo(db, who, vin);
  return listPassportVersions(db, vehicle.vin);
}

/** The people a passport version names: its owner and every owner before. */
export function passportSubjects(p: PassportVersion): string[] {
  return [p.data.ownerId, ...p.data.owners.map((o) => o.ownerId)];
}
