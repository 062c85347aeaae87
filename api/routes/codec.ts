import type { FastifyInstance } from 'fastify';
import { transcode, type JsonPayload } from '../../temporal/remote-codec';
import { problems } from '../contract';

/** Base64, standard or URL-safe, as protobuf JSON writes bytes. */
const base64 = { type: 'string', pattern: '^[A-Za-z0-9+/_-]*={0,2}$' } as const;

const payloads = {
  type: 'object',
  required: ['payloads'],
  additionalProperties: false,
  properties: {
    payloads: {
      type: 'array',
      maxItems: 1000,
      items: {
        type: 'object',
        // Newer Temporal versions add fields to Payload; the codec reads these two and ignores the rest.
        properties: {
          metadata: { type: ['object', 'null'], additionalProperties: base64, description: 'metadata values in base64' },
          data: { ...base64, type: ['string', 'null'] },
        },
      },
    },
  },
} as const;

/**
 * Temporal's payloads of a whole history page can be a few MB (a payload may be up to
 * 2 MB, a third more in base64).
 */
const BODY_LIMIT = 4 * 1024 * 1024;

/**
 * The Temporal Web UI's codec server: administrators see the payloads the codec
 * encrypted, everyone else ciphertext. Needs neither Postgres nor Temporal.
 */
export async function codecRoutes(app: FastifyInstance): Promise<void> {
  const { payloadCodec, config } = app.deps;
  for (const direction of ['decode', 'encode'] as const) {
    app.post<{ Body: { payloads: JsonPayload[] } }>(
      `/codec/${direction}`,
      {
        bodyLimit: BODY_LIMIT,
        // The UI sends one request per event it shows: a history page is hundreds at once.
        config: { roles: ['admin'], outageTolerant: true, rateLimit: { max: config.rateLimitPerMinute * 10, timeWindow: '1 minute' } },
        schema: {
          tags: ['admin'],
          security: [{ bearer: [] }],
          summary:
            direction === 'decode'
              ? "Decrypt Temporal payloads (the Web UI's codec server): payloads in another encoding come back unchanged"
              : 'Encrypt Temporal payloads with the current key (the Web UI encodes what an admin sends a workflow)',
          body: payloads,
          response: { 200: payloads, ...problems(422) },
        },
      },
      async (request) => transcode(payloadCodec, direction, request.body.payloads),
    );
  }
}
