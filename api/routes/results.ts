import type { FastifyInstance } from 'fastify';
import { caseResultDocument } from '../../results/case-result';
import { verifyByCode, verifyByContent, type PublicDocumentView } from '../../results/verification';
import { principal } from '../auth';
import { problems } from '../contract';
import { journalAccess } from '../requests';
import { nullableString, numberParams } from '../schemas';

const tags = ['results'];
const PDF_BODY_TYPES = ['application/pdf', 'application/octet-stream'];
const security = [{ bearer: [] }];
const ANYONE_ON_CASE = { roles: ['citizen', 'reviewer', 'expert', 'admin'] } as const;

const codeParams = {
  type: 'object',
  required: ['code'],
  additionalProperties: false,
  properties: { code: { type: 'string', pattern: '^[0-9A-Za-z]{4}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4}$', description: 'The code printed on the document, e.g. 7KQ4-MZ2D-XH9P' } },
} as const;

const documentView = {
  standing: { type: 'string', enum: ['genuine', 'superseded', 'revoked'], description: 'superseded: the case was decided again and has a newer document; revoked: the decision was overturned' },
  code: { type: 'string' },
  kind: { type: 'string', enum: ['application_result', 'passport_extract'] },
  title: { type: 'string' },
  printed: {
    type: 'array',
    description: 'Exactly what the document shows, line by line',
    items: { type: 'object', required: ['label', 'value'], properties: { label: { type: 'string' }, value: { type: 'string' } } },
  },
  issuedAt: { type: 'string', format: 'date-time' },
  supersededAt: nullableString,
  revokedAt: nullableString,
  revocationReason: nullableString,
  sha256: { ...nullableString, description: "SHA-256 of the PDF's bytes; null for results collected in person" },
  signature: { ...nullableString, description: "base64 of the system's detached signature of the PDF's bytes (GET /results/signing-key)" },
  keyId: { ...nullableString, description: "SHA-256 of the signing key's SubjectPublicKeyInfo (DER)" },
} as const;

const verification = { type: 'object', required: ['standing', 'code'], properties: documentView } as const;
const contentCheck = {
  type: 'object',
  required: ['registered', 'sha256'],
  properties: {
    registered: { type: 'boolean', description: 'false: these bytes were never issued here (a forged or altered copy)' },
    ...documentView,
  },
} as const;

const iso = (t: string | null) => t && new Date(t).toISOString();
const shown = (v: PublicDocumentView) => ({ ...v, issuedAt: iso(v.issuedAt), supersededAt: iso(v.supersededAt), revokedAt: iso(v.revokedAt) });
const pdf = { description: 'The document as issued', content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } } };

/** Result documents: the holder's download, and public verification by code, QR or bytes. */
export async function resultRoutes(app: FastifyInstance): Promise<void> {
  const { db } = app.deps.database;
  const { storage, resultSigner: signer } = app.deps;
  // A PDF is checked by its magic bytes, whichever of the two its sender labelled it as.
  app.addContentTypeParser(PDF_BODY_TYPES, { parseAs: 'buffer', bodyLimit: app.deps.config.documents.maxBytes }, (_req, body, done) => done(null, body));

  app.get(
    '/results/signing-key',
    {
      schema: {
        tags,
        summary: "The public key that signs every result document (PEM, SubjectPublicKeyInfo); check a PDF offline with openssl (see the README)",
        response: { 200: { description: 'PEM', headers: { 'x-key-id': { type: 'string' } }, content: { 'application/x-pem-file': { schema: { type: 'string' } } } } },
      },
    },
    async (_request, reply) => reply.type('application/x-pem-file').header('x-key-id', signer.keyId).send(signer.publicKeyPem),
  );

  app.get<{ Params: { code: string } }>(
    '/results/:code/verify',
    {
      schema: {
        tags,
        summary: "Check a result document or extract by the code printed on it (its QR code leads here); no sign-in",
        params: codeParams,
        response: { 200: verification, ...problems(404) },
      },
    },
    async (request) => shown(await verifyByCode(db, request.params.code)),
  );

  app.post<{ Body: Buffer }>(
    '/results/verify',
    {
      // A check of bytes against the register: a read that has to be posted.
      config: { idempotency: false },
      // The body is the PDF itself: its bytes are checked against the register, not by a schema.
      validatorCompiler: () => () => true,
      schema: {
        tags,
        summary: 'Check the bytes of a PDF against the register: only an unaltered issued document is registered; no sign-in',
        consumes: PDF_BODY_TYPES,
        body: { type: 'string', format: 'binary' },
        response: { 200: contentCheck },
      },
    },
    async (request) => {
      const checked = await verifyByContent(db, Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0));
      return checked.registered ? shown(checked) : checked;
    },
  );

  app.get<{ Params: { number: string } }>(
    '/cases/:number/result',
    {
      config: ANYONE_ON_CASE,
      schema: { tags, security, summary: "The case's result document or extract (PDF)", params: numberParams, response: { 200: pdf, ...problems(404, 409) } },
    },
    async (request, reply) => {
      const doc = await caseResultDocument(db, principal(request), request.params.number);
      await journalAccess(request, { action: 'download', kind: 'result_document', id: doc.code, subjects: [doc.holderId] });
      return reply
        .type('application/pdf')
        .header('content-disposition', `attachment; filename="${doc.caseNumber}-${doc.code}.pdf"`)
        .header('x-verification-code', doc.code)
        .send(await storage.open(doc.sha256));
    },
  );

  app.get<{ Params: { number: string } }>(
    '/cases/:number/result/signature',
    {
      config: ANYONE_ON_CASE,
      schema: {
        tags,
        security,
        summary: "The system's detached signature of the result PDF's bytes (ECDSA: DER over SHA-256; Ed25519: raw)",
        params: numberParams,
        response: { 200: { description: 'The signature', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } }, ...problems(404, 409) },
      },
    },
    async (request, reply) => {
      const doc = await caseResultDocument(db, principal(request), request.params.number);
      return reply
        .type('application/octet-stream')
        .header('content-disposition', `attachment; filename="${doc.caseNumber}-${doc.code}.sig"`)
        .header('x-key-id', doc.keyId ?? '')
        .send(Buffer.from(doc.signature, 'base64'));
    },
  );
}
