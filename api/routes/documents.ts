import multipart, { type Multipart } from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DOCUMENT_TYPES } from '../../core/catalogue';
import { FailureType, invalid, Refusal } from '../../core/failures';
import type { DocumentRow } from '../../db/queries/documents';
import { readableDocument } from '../../documents/access';
import { ACCEPTED_CONTENT_TYPES } from '../../documents/sniff';
import { receiveDocument, type UploadPart } from '../../documents/upload';
import { uuidFromSeed } from '../../lib/derived-uuid';
import { principal } from '../auth';
import { problems } from '../contract';
import { actionKey, claimIdempotencyKey } from '../idempotency';
import { journalAccess } from '../requests';

const documentSchema = {
  type: 'object',
  required: ['id', 'type', 'fileName', 'contentType', 'size', 'sha256', 'createdAt'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    type: { type: 'string', enum: DOCUMENT_TYPES },
    fileName: { type: 'string', description: 'The name it was uploaded under; display only' },
    contentType: { type: 'string', enum: ACCEPTED_CONTENT_TYPES, description: 'Recognised from the content' },
    size: { type: 'integer', description: 'Bytes' },
    sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    createdAt: { type: 'string', format: 'date-time' },
  },
} as const;

/** OpenAPI only: the multipart body is read and checked by receiveDocument, not by ajv. */
const uploadBody = (maxBytes: number) => ({
  type: 'object',
  required: ['type', 'file'],
  properties: {
    type: { type: 'string', enum: DOCUMENT_TYPES, description: 'What the document is' },
    file: {
      type: 'string',
      format: 'binary',
      description: `${ACCEPTED_CONTENT_TYPES.join(', ')}, checked by content (a declared Content-Type must match it, the file must end where its format ends); at most ${maxBytes} bytes`,
    },
  },
});

const idParams = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: { type: 'string', format: 'uuid' } },
} as const;

const binary = { schema: { type: 'string', format: 'binary' } };
const contentResponse = {
  description: 'The bytes as uploaded',
  content: Object.fromEntries(ACCEPTED_CONTENT_TYPES.map((t) => [t, binary])),
};

/** The multipart parts; a body the parser cannot read is the client's error, not ours. */
async function* partsOf(request: FastifyRequest): AsyncGenerator<UploadPart> {
  const parts = request.parts()[Symbol.asyncIterator]();
  for (;;) {
    let next: IteratorResult<Multipart>;
    try {
      next = await parts.next();
    } catch (err) {
      if ((err as { code?: string }).code) throw err;
      throw invalid(`the multipart body is malformed: ${(err as Error).message}`);
    }
    if (next.done) return;
    const part = next.value;
    yield part.type === 'field'
      ? { kind: 'field', name: part.fieldname, value: String(part.value) }
      : { kind: 'file', name: part.fieldname, fileName: part.filename, declaredType: part.mimetype, stream: part.file, truncated: () => part.file.truncated };
  }
}

/** RFC 6266 with an ASCII fallback and the exact name in RFC 8187 encoding. */
function attachment(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const exact = encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${exact}`;
}

const view = (d: DocumentRow) => ({ ...d, createdAt: new Date(d.createdAt).toISOString() });
const security = [{ bearer: [] }];
const tags = ['documents'];
const readers = ['citizen', 'reviewer', 'expert', 'admin'] as const;

/** Typed document uploads (PDF, JPEG, PNG by content and as declared, ≤ 5 MB) and downloads. */
export async function documentRoutes(app: FastifyInstance): Promise<void> {
  const { db } = app.deps.database;
  const maxBytes = app.deps.config.documents.maxBytes;
  await app.register(multipart, { limits: { fileSize: maxBytes, files: 1, fields: 5, parts: 6, fieldSize: 1000 } });

  app.post(
    '/documents',
    {
      // The key is claimed once the upload is read: a retry must send the same file.
      config: { roles: ['citizen'], idempotency: 'in-handler' },
      validatorCompiler: () => () => true,
      schema: {
        tags,
        security,
        summary: 'Upload a document: a `type` field and a `file` part',
        consumes: ['multipart/form-data'],
        body: uploadBody(maxBytes),
        response: { 201: documentSchema, ...problems(404, 409, 422) },
      },
    },
    async (request, reply) => {
      if (!request.isMultipart()) throw new Refusal(FailureType.UnsupportedMedia, 'send the document as multipart/form-data');
      const key = actionKey(request);
      const stored = await receiveDocument({ db, storage: app.deps.storage, maxBytes }, principal(request).id, partsOf(request), {
        id: key && uuidFromSeed(key),
        admit: (upload) => claimIdempotencyKey(request, reply, upload),
      });
      return stored ? reply.status(201).send(view(stored)) : reply;
    },
  );

  const readable = (request: FastifyRequest<{ Params: { id: string } }>) => readableDocument(db, principal(request), request.params.id);

  app.get<{ Params: { id: string } }>(
    '/documents/:id',
    {
      config: { roles: readers },
      schema: { tags, security, summary: "A document's metadata", params: idParams, response: { 200: documentSchema, ...problems(404, 409) } },
    },
    async (request) => {
      const doc = await readable(request);
      await journalAccess(request, { action: 'read', kind: 'document', id: doc.id, subjects: [doc.ownerId] });
      return view(doc);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/documents/:id/content',
    {
      config: { roles: readers },
      schema: { tags, security, summary: "A document's bytes", params: idParams, response: { 200: contentResponse, ...problems(404, 409) } },
    },
    async (request, reply) => {
      const doc = await readable(request);
      await journalAccess(request, { action: 'download', kind: 'document', id: doc.id, subjects: [doc.ownerId] });
      return reply
        .type(doc.contentType)
        .header('content-disposition', attachment(doc.fileName))
        .header('x-content-type-options', 'nosniff')
        .send(await app.deps.storage.open(doc.sha256));
    },
  );
}
