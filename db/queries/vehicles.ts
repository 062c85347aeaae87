import { randomUUID } from 'node:crypto';
import { and, asc, eq, isNull, or } from 'drizzle-orm';
import { newVerificationCode } from '../../results/verification-code';
import type { Passport } from '../../core/vehicle';
import type { Db, Tx } from '../client';
import { passportExtracts, passportVersions, signingCertificates, vehicles } from '../schema';
import { isUniqueViolation } from '../unique-violation';

export type VehicleSummary = Pick<Passport, 'vin' | 'make' | 'model' | 'year' | 'plate' | 'status'> & { version: number };

export interface PassportVersion {
  vin: string;
  version: number;
  /** The highest version: the passport as it is now. */
  currentVersion: number;
  /** The change case in progress on the vehicle, if any. */
  openChange: string | null;
  data: Passport;
  caseNumber: string | null;
  createdAt: string;
}

/** The citizen's own vehicles, each as its current passport says, annulled ones included. */
export async function listVehiclesOf(db: Db, ownerId: string): Promise<VehicleSummary[]> {
  const rows = await db
    .select({ version: vehicles.currentVersion, data: passportVersions.data })
    .from(vehicles)
    .innerJoin(passportVersions, and(eq(passportVersions.vin, vehicles.vin), eq(passportVersions.version, vehicles.currentVersion)))
    .where(eq(vehicles.ownerId, ownerId))
    .orderBy(asc(vehicles.vin));
  return rows.map(({ version, data }) => ({
    vin: data.vin,
    make: data.make,
    model: data.model,
    year: data.year,
    plate: data.plate,
    status: data.status,
    version,
  }));
}

export async function getVehicle(db: Db, vin: string) {
  const [row] = await db.select().from(vehicles).where(eq(vehicles.vin, vin));
  return row;
}

/** One version of a passport, the current one when `version` is omitted. */
export async function getPassport(db: Db, vin: string, version?: number): Promise<PassportVersion | undefined> {
  const [row] = await db
    .select({ currentVersion: vehicles.currentVersion, openChange: vehicles.openChange, version: passportVersions.version, data: passportVersions.data, caseNumber: passportVersions.caseNumber, createdAt: passportVersions.createdAt })
    .from(vehicles)
    .innerJoin(passportVersions, eq(passportVersions.vin, vehicles.vin))
    .where(and(eq(vehicles.vin, vin), eq(passportVersions.version, version ?? vehicles.currentVersion)));
  return row && { vin, ...row };
}

/** Adds a vehicle with its first passport; a VIN already known is left as it is. */
export async function insertVehicle(db: Db, passport: Passport): Promise<boolean> {
  return db.transaction(async (tx) => {
    const added = await tx
      .insert(vehicles)
      .values({ vin: passport.vin, ownerId: passport.ownerId, currentVersion: 1, status: passport.status })
      .onConflictDoNothing()
      .returning({ vin: vehicles.vin });
    if (!added.length) return false;
    await tx.insert(passportVersions).values({ vin: passport.vin, version: 1, data: passport });
    return true;
  });
}

export type PassportWriteFailure = 'vehicle_not_found' | 'stale_version' | 'annulled' | 'vin_mismatch';

/** Why a new passport version was not written; the workflow turns it into a refusal, not a retry. */
export class PassportWriteError extends Error {
  override readonly name = 'PassportWriteError';
  constructor(
    readonly code: PassportWriteFailure,
    message: string,
    readonly currentVersion?: number,
  ) {
    super(message);
  }
}

/**
 * Appends version expectedVersion + 1 and makes it current, or fails with a
 * PassportWriteError. The conditional update is the optimistic lock: of two approvals
 * based on one version only one finds it still current. Repeating a write that already
 * succeeded for the same case answers as it did, so a retried activity is harmless.
 */
export async function applyPassportVersion(
  db: Db,
  change: { vin: string; expectedVersion: number; data: Passport; caseNumber: string },
): Promise<{ version: number }> {
  const { vin, expectedVersion, data, caseNumber } = change;
  if (data.vin !== vin) throw new PassportWriteError('vin_mismatch', `the passport data is of ${data.vin}, not ${vin}`);
  const next = expectedVersion + 1;
  return db.transaction(async (tx) => {
    const [moved] = await tx
      .update(vehicles)
      .set({ currentVersion: next, ownerId: data.ownerId, status: data.status, updatedAt: new Date().toISOString() })
      .where(and(eq(vehicles.vin, vin), eq(vehicles.currentVersion, expectedVersion), eq(vehicles.status, 'active')))
      .returning({ vin: vehicles.vin });
    if (moved) {
      try {
        await tx.insert(passportVersions).values({ vin, version: next, data, caseNumber });
      } catch (err) {
        // Versions are append-only: one already there means another writer got in first.
        if (isUniqueViolation(err)) throw new PassportWriteError('stale_version', `passport ${vin} already has version ${next}`);
        throw err;
      }
      return { version: next };
    }
    const [vehicle] = await tx.select().from(vehicles).where(eq(vehicles.vin, vin));
    if (!vehicle) throw new PassportWriteError('vehicle_not_found', `no vehicle ${vin}`);
    const [written] = await tx
      .select({ caseNumber: passportVersions.caseNumber })
      .from(passportVersions)
      .where(and(eq(passportVersions.vin, vin), eq(passportVersions.version, next)));
    if (written?.caseNumber === caseNumber) return { version: next };
    if (vehicle.currentVersion !== expectedVersion) {
      throw new PassportWriteError('stale_version', `passport ${vin} is at version ${vehicle.currentVersion}, not ${expectedVersion}`, vehicle.currentVersion);
    }
    throw new PassportWriteError('annulled', `passport ${vin} is annulled and accepts no changes`, vehicle.currentVersion);
  });
}

// ---------------------------------------------------------------- extracts

export interface Extract {
  code: string;
  vin: string;
  version: number;
  caseNumber: string;
  issuedAt: string;
}

/** One extract per approved change case: a retry gets the code the first attempt stored. */
export async function issueExtract(db: Db, e: { vin: string; version: number; caseNumber: string }): Promise<Extract> {
  await db
    .insert(passportExtracts)
    .values({ ...e, code: newVerificationCode(), issuedAt: new Date().toISOString() })
    .onConflictDoNothing({ target: passportExtracts.caseNumber });
  const [row] = await db.select().from(passportExtracts).where(eq(passportExtracts.caseNumber, e.caseNumber));
  if (!row) throw new Error(`extract of ${e.caseNumber} vanished after insert`);
  return row;
}

/** What a verification code proves, and whether the passport has changed since. */
export async function verifyExtract(db: Db, code: string): Promise<(Extract & { currentVersion: number }) | undefined> {
  const [row] = await db
    .select({
      code: passportExtracts.code,
      vin: passportExtracts.vin,
      version: passportExtracts.version,
      caseNumber: passportExtracts.caseNumber,
      issuedAt: passportExtracts.issuedAt,
      currentVersion: vehicles.currentVersion,
    })
    .from(passportExtracts)
    .innerJoin(vehicles, eq(vehicles.vin, passportExtracts.vin))
    .where(eq(passportExtracts.code, code.toUpperCase()));
  return row;
}

// ---------------------------------------------------------------- signing certificates

export type CertificateRow = typeof signingCertificates.$inferSelect;
export type NewCertificate = Omit<typeof signingCertificates.$inferInsert, 'id' | 'createdAt' | 'revokedAt'>;

/**
 * Registers a certificate to its owner. The same owner registering it again gets the
 * existing record; a certificate already registered to someone else is `taken`.
 */
export async function registerCertificate(
  db: Db,
  cert: NewCertificate,
): Promise<{ created: boolean; certificate: CertificateRow } | { taken: true }> {
  const [inserted] = await db
    .insert(signingCertificates)
    .values({ ...cert, id: randomUUID() })
    .onConflictDoNothing({ target: signingCertificates.fingerprint })
    .returning();
  if (inserted) return { created: true, certificate: inserted };
  const [existing] = await db.select().from(signingCertificates).where(eq(signingCertificates.fingerprint, cert.fingerprint));
  if (!existing || existing.ownerId !== cert.ownerId) return { taken: true };
  return { created: false, certificate: existing };
}

/** Revokes the owner's certificate (revocation is final) and returns it; undefined when they have no such certificate. */
export async function revokeCertificate(db: Db, ownerId: string, id: string): Promise<CertificateRow | undefined> {
  await db
    .update(signingCertificates)
    .set({ revokedAt: new Date().toISOString() })
    .where(and(eq(signingCertificates.id, id), eq(signingCertificates.ownerId, ownerId), isNull(signingCertificates.revokedAt)));
  return getCertificate(db, ownerId, id);
}

/** The owner's certificate by id, revoked or not; another owner's is not found. */
export async function getCertificate(db: Db, ownerId: string, id: string): Promise<CertificateRow | undefined> {
  const [row] = await db
    .select()
    .from(signingCertificates)
    .where(and(eq(signingCertificates.id, id), eq(signingCertificates.ownerId, ownerId)));
  return row;
}

/** The owner's certificate by the SHA-256 of its DER (hex), revoked or not. */
export async function getCertificateByFingerprint(db: Db, ownerId: string, fingerprint: string): Promise<CertificateRow | undefined> {
  const [row] = await db
    .select()
    .from(signingCertificates)
    .where(and(eq(signingCertificates.fingerprint, fingerprint), eq(signingCertificates.ownerId, ownerId)));
  return row;
}

export async function listCertificates(db: Db, ownerId: string): Promise<CertificateRow[]> {
  return db.select().from(signingCertificates).where(eq(signingCertificates.ownerId, ownerId)).orderBy(asc(signingCertificates.createdAt));
}

/** The owner's certificates that are neither revoked nor expired at `at`, newest first. */
export async function activeCertificates(db: Db, ownerId: string, at = new Date()): Promise<CertificateRow[]> {
  const all = await listCertificates(db, ownerId);
  return all.filter((c) => !c.revokedAt && new Date(c.notBefore) <= at && at <= new Date(c.notAfter)).reverse();
}

/** Every version of a passport, oldest first: when and by which case each came about. */
export async function listPassportVersions(db: Db, vin: string) {
  return db
    .select({ version: passportVersions.version, caseNumber: passportVersions.caseNumber, createdAt: passportVersions.createdAt })
    .from(passportVersions)
    .where(eq(passportVersions.vin, vin))
    .orderBy(asc(passportVersions.version));
}

/**
 * Takes the vehicle for one change case: true when it is this case's (now or already),
 * false when another change is open on it. The case's workflow releases it when it ends.
 */
export async function claimVehicle(db: Db, vin: string, caseNumber: string): Promise<{ ok: true } | { ok: false; openChange: string | null }> {
  const [claimed] = await db
    .update(vehicles)
    .set({ openChange: caseNumber })
    .where(and(eq(vehicles.vin, vin), or(isNull(vehicles.openChange), eq(vehicles.openChange, caseNumber))))
    .returning({ vin: vehicles.vin });
  if (claimed) return { ok: true };
  const [vehicle] = await db.select({ openChange: vehicles.openChange }).from(vehicles).where(eq(vehicles.vin, vin));
  return { ok: false, openChange: vehicle?.openChange ?? null };
}

export async function releaseVehicle(db: Db | Tx, vin: string, caseNumber: string): Promise<void> {
  await db.update(vehicles).set({ openChange: null }).where(and(eq(vehicles.vin, vin), eq(vehicles.openChange, caseNumber)));
}
