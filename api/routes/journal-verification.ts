import type { FastifyInstance } from 'fastify';
import { verifyCaseJournal } from '../../cases/journal-verification';
import { numberParams } from '../schemas';

const ADMIN = { roles: ['admin'] } as const;

const verification = {
  type: 'object',
  required: ['number', 'intact', 'entries', 'firstMismatch', 'lastHash'],
  properties: {
    number: { type: 'string' },
    intact: { type: 'boolean', description: 'Every entry still hashes to the value written with it' },
    entries: { type: 'integer' },
    firstMismatch: {
      type: ['integer', 'null'],
      description: 'Sequence number of the first entry whose content or link to the entry before it has changed; null when intact',
    },
    lastHash: {
      type: ['string', 'null'],
      description: "The last entry's hash (SHA-256, hex); kept elsewhere, it also shows entries removed from the end",
    },
  },
} as const;

/** Administrators check that a case's journal has not been altered in the database. */
export async function journalVerificationRoutes(app: FastifyInstance): Promise<void> {
  const { db } = app.deps.database;

  app.get<{ Params: { number: string } }>(
    '/admin/cases/:number/journal/verification',
    {
      config: ADMIN,
      schema: {
        tags: ['admin'],
        security: [{ bearer: [] }],
        summary: "Verify a case's journal hash chain: intact, or the first entry that no longer matches",
        params: numberParams,
        response: { 200: verification },
      },
    },
    async (request) => verifyCaseJournal(db, request.params.number),
  );
}
