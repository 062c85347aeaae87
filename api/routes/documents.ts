import multipart, { type Multipart } from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { canReadDocument, getDocument, type DocumentRow } from '../../db/queries/documents';
import { receiveDocument, type IncomingFile } from '../../documents/upload';
import { principal } from '../auth';
import { badRequest, notFound } from '../problem';
import { problemResponses } from '../schemas';

const documentSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    type: { type: 'string' },
    fileName: { type: 'string' },
    contentType: { type: 'string' },
    size: { type: 'integer' },
    sha256: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
  },
} as const;

const idParams = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: { type: 'string', format: 'uuid' } },
} as const;

/** The multipart parts; a body the parser cannot read is the client's error, not ours. */
async function* partsOf(request: FastifyRequest) {
  const parts = request.parts()[Symbol.asyncIterator]();
  for (;;) {
    let next: IteratorResult<Multipart>;
    try {
      next = await parts.next();
    } catch (err) {
      if ((err as { code?: string }).code) throw err;
      throw badRequest(`the multipart body is malformed: ${(err as Error).message}`);
    }
    if (next.done) return;
    yield next.value;
  }
}

const view = (d: DocumentRow) => ({ ...d, createdAt: new Date(d.createdAt).toISOString() });
const security = [{ bearer: [] }];
const tags = ['documents'];

/** Typed document uploads (PDF, JPEG, PNG by content, ≤ 5 MB) and downloads. */
export async function documentRoutes(app: FastifyInstance): Promise<void> {
  const { db } = app.deps.database;
  const maxBytes = app.deps.config.documents.maxBytes;
  await app.register(multipart, { limits: { fileSize: maxBytes, files: 1, fields: 5, parts: 6, fieldSize: 1000 } });

  app.post(
    '/documents',
    {
      config: { roles: ['citizen'] },
      schema: {
        tags,
        security,
        summary: 'Upload a document: multipart/form-data with a `type` field and a `file` part',
        consumes: ['multipart/form-data'],
        response: { 201: documentSchema, 413: { $ref: 'Problem#' }, 415: { $ref: 'Problem#' }, ...problemResponses },
      },
    },
    async (request, reply) => {
      if (!request.isMultipart()) {
        return reply.status(415).type('application/problem+json').send({
          type: 'about:blank',
          title: 'Unsupported Media Type',
          status: 415,
          detail: 'send the document as multipart/form-data',
        });
      }
      let type: string | undefined;
      let stored: DocumentRow | undefined;
      for await (const part of partsOf(request)) {
        if (part.type === 'field') {
          if (part.fieldname === 'type') type = String(part.value);
          continue;
        }
        if (stored) throw badRequest('one file per upload', [{ path: '/body/file', message: 'only one file is accepted' }]);
        const file: IncomingFile = { stream: part.file, fileName: part.filename, truncated: () => part.file.truncated };
        stored = await receiveDocument({ db, storage: app.deps.storage, maxBytes }, { ownerId: principal(request).id, type, file });
      }
      if (!stored) throw badRequest('no file', [{ path: '/body/file', message: 'is required' }]);
      return reply.status(201).send(view(stored));
    },
  );

  const readable = async (id: string, request: Parameters<typeof principal>[0]) => {
    const doc = await getDocument(db, id);
    if (!doc || !(await canReadDocument(db, principal(request), doc))) throw notFound(`document ${id}`);
    return doc;
  };

  app.get<{ Params: { id: string } }>(
    '/documents/:id',
    {
      config: { roles: ['citizen', 'reviewer', 'admin'] },
      schema: { tags, security, summary: "A document's metadata", params: idParams, response: { 200: documentSchema, ...problemResponses } },
    },
    async (request) => view(await readable(request.params.id, request)),
  );

  app.get<{ Params: { id: string } }>(
    '/documents/:id/content',
    {
      config: { roles: ['citizen', 'reviewer', 'admin'] },
      schema: { tags, security, summary: "A document's bytes", params: idParams, response: problemResponses },
    },
    async (request, reply) => {
      const doc = await readable(request.params.id, request);
      const ascii = doc.fileName.replace(/[^\x20-\x7e]/g, '_');
      return reply
        .type(doc.contentType)
        .header('content-disposition', `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(doc.fileName)}`)
        .header('x-content-type-options', 'nosniff')
        .send(await app.deps.storage.open(doc.sha256));
    },
  );
}
