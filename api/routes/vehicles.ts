import type { FastifyInstance, FastifyRequest } from 'fastify';
import { notFound } from '../../core/failures';
import { normaliseVin, VEHICLE_STATUSES } from '../../core/vehicle';
import {
  listCertificates,
  listVehiclesOf,
  revokeCertificate,
  verifyExtract,
  type CertificateRow,
  type PassportVersion,
} from '../../db/queries/vehicles';
import { passportSubjects, passportVersionsVisibleTo, passportVisibleTo } from '../../vehicles/access';
import { registerOwnCertificate } from '../../vehicles/certificates';
import { principal } from '../auth';
import { problems } from '../contract';
import { journalAccess } from '../requests';
import { anyObject, nullableString, vinParams, vinProperty } from '../schemas';

const security = [{ bearer: [] }];
const CITIZEN = { roles: ['citizen'] } as const;
const PASSPORT_READERS = { roles: ['citizen', 'reviewer', 'admin'] } as const;

/** What identifies a vehicle to its owner, in lists and in the passport alike. */
const vehicleIdentity = {
  vin: { type: 'string' },
  make: { type: 'string' },
  model: { type: 'string' },
  year: { type: 'integer' },
  plate: nullableString,
} as const;

const vehicleSummary = {
  type: 'object',
  properties: {
    ...vehicleIdentity,
    status: { type: 'string', enum: VEHICLE_STATUSES },
    version: { type: 'integer', description: 'The current passport version' },
  },
} as const;

const passportView = {
  type: 'object',
  properties: {
    vin: { type: 'string' },
    version: { type: 'integer' },
    currentVersion: { type: 'integer', description: 'A change request is based on this version' },
    openChange: { ...nullableString, description: 'The change case in progress on the vehicle, if any' },
    caseNumber: { ...nullableString, description: 'The change case that produced this version' },
    createdAt: { type: 'string', format: 'date-time' },
    passport: {
      type: 'object',
      properties: {
        ...vehicleIdentity,
        technical: anyObject,
        ownerId: { type: 'string' },
        status: { type: 'string' },
        owners: { type: 'array', items: anyObject },
        registrations: { type: 'array', items: anyObject },
        inspections: { type: 'array', items: anyObject },
        insurance: { type: 'array', items: anyObject },
        annulment: anyObject,
      },
    },
  },
} as const;

const certificateView = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    serial: { type: 'string' },
    subject: { type: 'string' },
    issuer: { type: 'string' },
    notBefore: { type: 'string', format: 'date-time' },
    notAfter: { type: 'string', format: 'date-time' },
    createdAt: { type: 'string', format: 'date-time' },
    revokedAt: { type: ['string', 'null'], format: 'date-time' },
  },
} as const;

const iso = (t: string) => new Date(t).toISOString();
/** The passport as its reader sees it; an official's read of its owners' data is recorded first. */
async function showPassport(request: FastifyRequest, p: PassportVersion) {
  await journalAccess(request, { action: 'read', kind: 'vehicle_passport', id: `${p.vin}@${p.version}`, subjects: passportSubjects(p) });
  return {
    vin: p.vin,
    version: p.version,
    currentVersion: p.currentVersion,
    openChange: p.openChange,
    caseNumber: p.caseNumber,
    createdAt: iso(p.createdAt),
    passport: p.data,
  };
}

const showCertificate = (c: CertificateRow) => ({
  id: c.id,
  serial: c.serial,
  subject: c.subject,
  issuer: c.issuer,
  notBefore: iso(c.notBefore),
  notAfter: iso(c.notAfter),
  createdAt: iso(c.createdAt),
  revokedAt: c.revokedAt && iso(c.revokedAt),
});

/** Vehicle e-passports: owners' vehicles and passport versions, signing certificates, public extract checks. */
export async function vehicleRoutes(app: FastifyInstance): Promise<void> {
  const { db } = app.deps.database;
  const trust = app.deps.certificateTrust;

  app.get(
    '/vehicles',
    {
      config: CITIZEN,
      schema: {
        tags: ['vehicles'],
        security,
        summary: 'My vehicles, each as its current passport says',
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: vehicleSummary } } }, ...problems(404, 409) },
      },
    },
    async (request) => ({ items: await listVehiclesOf(db, principal(request).id) }),
  );

  app.get<{ Params: { vin: string } }>(
    '/vehicles/:vin',
    {
      config: PASSPORT_READERS,
      schema: { tags: ['vehicles'], security, summary: "A vehicle's current passport with its history", params: vinParams, response: { 200: passportView, ...problems(404, 409) } },
    },
    async (request) => {
      return showPassport(request, await passportVisibleTo(db, principal(request), normaliseVin(request.params.vin)));
    },
  );

  app.get<{ Params: { vin: string } }>(
    '/vehicles/:vin/versions',
    {
      config: PASSPORT_READERS,
      schema: {
        tags: ['vehicles'],
        security,
        summary: "Every version of a vehicle's passport, oldest first",
        params: vinParams,
        response: {
          200: {
            type: 'object',
            properties: {
              items: {
                type: 'array',
                items: { type: 'object', properties: { version: { type: 'integer' }, caseNumber: nullableString, createdAt: { type: 'string', format: 'date-time' } } },
              },
            },
          },
          ...problems(404, 409),
        },
      },
    },
    async (request) => {
      const versions = await passportVersionsVisibleTo(db, principal(request), normaliseVin(request.params.vin));
      return { items: versions.map((v) => ({ ...v, createdAt: iso(v.createdAt) })) };
    },
  );

  app.get<{ Params: { vin: string; version: number } }>(
    '/vehicles/:vin/versions/:version',
    {
      config: PASSPORT_READERS,
      schema: {
        tags: ['vehicles'],
        security,
        summary: 'The passport as it was at one version',
        params: {
          type: 'object',
          required: ['vin', 'version'],
          additionalProperties: false,
          properties: { vin: vinProperty, version: { type: 'integer', minimum: 1, maximum: 2_147_483_647 } },
        },
        response: { 200: passportView, ...problems(404, 409) },
      },
    },
    async (request) => {
      return showPassport(request, await passportVisibleTo(db, principal(request), normaliseVin(request.params.vin), request.params.version));
    },
  );

  app.get(
    '/certificates',
    {
      config: CITIZEN,
      schema: {
        tags: ['certificates'],
        security,
        summary: 'My certificates registered for signing passport changes',
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: certificateView } } }, ...problems(404, 409) },
      },
    },
    async (request) => ({ items: (await listCertificates(db, principal(request).id)).map(showCertificate) }),
  );

  app.post<{ Body: { certificatePem: string } }>(
    '/certificates',
    {
      config: CITIZEN,
      schema: {
        tags: ['certificates'],
        security,
        summary: 'Register my qualified certificate (X.509, PEM) for signing passport changes',
        description: 'It must be valid now, issued by an accredited authority, not revoked, and name your SNILS when your account has one.',
        body: {
          type: 'object',
          required: ['certificatePem'],
          additionalProperties: false,
          properties: {
            certificatePem: {
              type: 'string',
              maxLength: 20_000,
              pattern: '^(\\s*-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\\s]+-----END CERTIFICATE-----)+\\s*$',
              description: 'X.509 certificate, PEM; it may be followed by the certificates of the authorities that issued it, up to a trusted one',
            },
          },
        },
        response: { 200: certificateView, 201: certificateView, ...problems(404, 409, 422) },
      },
    },
    async (request, reply) => {
      const result = await registerOwnCertificate({ db, trust }, principal(request).id, request.body.certificatePem);
      return reply.status(result.created ? 201 : 200).send(showCertificate(result.certificate));
    },
  );

  app.post<{ Params: { id: string } }>(
    '/certificates/:id/revoke',
    {
      config: CITIZEN,
      schema: {
        tags: ['certificates'],
        security,
        summary: 'Stop accepting signatures by one of my certificates; final',
        params: { type: 'object', required: ['id'], additionalProperties: false, properties: { id: { type: 'string', format: 'uuid' } } },
        response: { 200: certificateView, ...problems(404, 409) },
      },
    },
    async (request) => {
      const revoked = await revokeCertificate(db, principal(request).id, request.params.id);
      if (!revoked) throw notFound(`certificate ${request.params.id}`);
      return showCertificate(revoked);
    },
  );

  app.get<{ Params: { code: string } }>(
    '/extracts/:code/verify',
    {
      schema: {
        tags: ['vehicles'],
        summary: 'Check an extract of a passport by the code on it (or its QR code); no sign-in',
        params: {
          type: 'object',
          required: ['code'],
          additionalProperties: false,
          properties: { code: { type: 'string', pattern: '^[0-9A-Za-z]{4}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4}$', description: 'e.g. 7KQ4-MZ2D-XH9P' } },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              genuine: { type: 'boolean', enum: [true] },
              vin: { type: 'string' },
              version: { type: 'integer' },
              issuedAt: { type: 'string', format: 'date-time' },
              current: { type: 'boolean', description: 'False when the passport has changed since the extract was issued' },
            },
          },
          ...problems(404),
        },
      },
    },
    async (request) => {
      const extract = await verifyExtract(db, request.params.code);
      // No case number, no owner: the extract's holder shows it to strangers.
      if (!extract) throw notFound('an extract with this code (it is not genuine)');
      return { genuine: true, vin: extract.vin, version: extract.version, issuedAt: iso(extract.issuedAt), current: extract.version === extract.currentVersion };
    },
  );
}
