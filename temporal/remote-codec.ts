/**
 * The codec server protocol of the Temporal Web UI (and `temporal` CLI): POST `…/decode` or
 * `…/encode` with `{"payloads": [...]}`, each payload in protobuf JSON (metadata values and
 * data in base64), answered in the same shape.
 */
import type { Payload } from '@temporalio/common';
import { FailureType, Refusal } from '../core/failures';
import { PayloadDecryptionError, type AesGcmPayloadCodec } from './payload-codec';

export interface JsonPayload {
  metadata?: Record<string, string> | null;
  data?: string | null;
}

function fromJson(p: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(p.data ?? '', 'base64'),
  };
}

function toJson(p: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    data: Buffer.from(p.data ?? []).toString('base64'),
  };
}

/**
 * Decodes (or encodes) each payload; one this codec cannot open (another deployment's
 * key, altered bytes) refuses the request and names it, so an admin learns why the UI
 * shows ciphertext.
 */
export function transcode(codec: AesGcmPayloadCodec, direction: 'decode' | 'encode', payloads: JsonPayload[]): { payloads: JsonPayload[] } {
  return {
    payloads: payloads.map((json, i) => {
      const payload = fromJson(json);
      if (direction === 'encode') return toJson(codec.encrypt(payload));
      try {
        return toJson(codec.decrypt(payload));
      } catch (err) {
        if (!(err instanceof PayloadDecryptionError)) throw err;
        throw new Refusal(FailureType.Unprocessable, err.message, { errors: [{ path: `/body/payloads/${i}`, message: err.message }] });
      }
    }),
  };
}
