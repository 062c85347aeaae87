import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { DataConverter } from '@temporalio/common';
import type { Config, PayloadKey } from '../config';
import { keptDevelopmentSecret } from '../lib/development-secret';
import { AesGcmPayloadCodec } from './payload-codec';

/**
 * The codec of every client and worker: the configured keys (PAYLOAD_CODEC_KEYS), or
 * outside production one development key made once in DATA_DIR and shared by every
 * process using that directory (`npm start`, a worker and an API run alone).
 */
export async function payloadCodecFromConfig(config: Config): Promise<AesGcmPayloadCodec> {
  if (config.temporal.codec.keys) return new AesGcmPayloadCodec(config.temporal.codec.keys);
  // config.ts requires the keys in production; this guards callers that built a Config by hand.
  if (config.env === 'production') throw new Error('PAYLOAD_CODEC_KEYS is required in production');
  return new AesGcmPayloadCodec([await developmentKey(config.temporal.codec.devKeyDir)]);
}

/** `id:base64`, the form of one PAYLOAD_CODEC_KEYS item. */
async function developmentKey(dir: string): Promise<PayloadKey> {
  const kept = await keptDevelopmentSecret(path.join(dir, 'key'), () => `dev-${randomBytes(4).toString('hex')}:${randomBytes(32).toString('base64')}\n`);
  const [id, key] = kept.trim().split(':');
  return { id: id!, key: Buffer.from(key!, 'base64') };
}

/**
 * The codec runs where the SDK encodes and decodes payloads, outside the workflow
 * sandbox (workers and clients), so node:crypto is at hand; workflow code never sees it.
 */
export function dataConverter(codec: AesGcmPayloadCodec): DataConverter {
  return { payloadCodecs: [codec] };
}
