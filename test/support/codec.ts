import { loadConfig } from '../../config';
import { dataConverter } from '../../temporal/data-converter';
import { AesGcmPayloadCodec } from '../../temporal/payload-codec';

/**
 * The payload key of every test's clients and workers, as PAYLOAD_CODEC_KEYS. Fixed, not
 * made per run: the replay corpus holds histories encrypted with it, which must replay
 * for as long as they are kept. A test key, never a deployment's.
 */
export const TEST_PAYLOAD_CODEC_KEYS = 'test-2026:crdJDocDdeI1LpnqEqLgs1r5LqoeNoolH4XZ/m6V/YU=';

export const testPayloadCodec = new AesGcmPayloadCodec(loadConfig({ PAYLOAD_CODEC_KEYS: TEST_PAYLOAD_CODEC_KEYS }).temporal.codec.keys!);

/** For test clients and workers built without a Config (the time-skipping environments, the replay). */
export const testDataConverter = dataConverter(testPayloadCodec);
