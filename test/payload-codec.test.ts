import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config';
import { payloadCodecFromConfig } from '../temporal/data-converter';
import { AesGcmPayloadCodec, PayloadDecryptionError } from '../temporal/payload-codec';

const key = (id: string) => ({ id, key: randomBytes(32) });
const form = { fullName: 'Анна Петровна Смирнова', passport: '4510 123456', birthPlace: 'г. Казань' };
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');

describe('the AES-256-GCM payload codec', () => {
  it('encrypts a payload whole, naming its key, and decrypts it back', async () => {
    const codec = new AesGcmPayloadCodec([key('k1')]);
    const plain = defaultPayloadConverter.toPayload(form)!;
    const [sealed] = await codec.encode([plain]);
    expect(text(sealed!.metadata!.encoding)).toBe('binary/encrypted');
    expect(text(sealed!.metadata!['encryption-key-id'])).toBe('k1');
    // Not even the original encoding is left in clear.
    expect(Object.keys(sealed!.metadata!).sort()).toEqual(['encoding', 'encryption-key-id']);
    for (const value of [...Object.values(form), 'json/plain']) expect(Buffer.from(sealed!.data!).includes(Buffer.from(value))).toBe(false);
    const [opened] = await codec.decode([sealed!]);
    expect(defaultPayloadConverter.fromPayload(opened!)).toEqual(form);
    expect(text(opened!.metadata!.encoding)).toBe('json/plain');
  });

  it('seals the same payload differently every time (a fresh IV)', async () => {
    const codec = new AesGcmPayloadCodec([key('k1')]);
    const plain = defaultPayloadConverter.toPayload(form)!;
    const [a, b] = await codec.encode([plain, plain]);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
  });

  it('passes payloads of any other encoding through unchanged, as histories written before the codec hold', async () => {
    const codec = new AesGcmPayloadCodec([key('k1')]);
    const plain = [defaultPayloadConverter.toPayload(form)!, defaultPayloadConverter.toPayload(undefined)!, defaultPayloadConverter.toPayload(new Uint8Array([1, 2]))!];
    expect(await codec.decode(plain)).toEqual(plain);
  });

  it('rotates: the newest key encrypts, an old one still decrypts, a dropped one is named when met', async () => {
    const old = key('2026-06');
    const current = key('2026-12');
    const before = new AesGcmPayloadCodec([old]);
    const rotated = new AesGcmPayloadCodec([current, old]);
    const [sealedBefore] = await before.encode([defaultPayloadConverter.toPayload(form)!]);
    expect(defaultPayloadConverter.fromPayload((await rotated.decode([sealedBefore!]))[0]!)).toEqual(form);
    const [sealedAfter] = await rotated.encode([defaultPayloadConverter.toPayload(form)!]);
    expect(text(sealedAfter!.metadata!['encryption-key-id'])).toBe('2026-12');
    expect(rotated.encryptingKeyId).toBe('2026-12');
    const dropped = new AesGcmPayloadCodec([current]);
    await expect(dropped.decode([sealedBefore!])).rejects.toThrow(PayloadDecryptionError);
    await expect(dropped.decode([sealedBefore!])).rejects.toThrow('encrypted with key "2026-06", which is not among this codec\'s keys (2026-12)');
  });

  it('refuses altered ciphertext, a key of the same id with other bytes, and an encrypted payload without a key id', async () => {
    const codec = new AesGcmPayloadCodec([key('k1')]);
    const [sealed] = await codec.encode([defaultPayloadConverter.toPayload(form)!]);
    const altered = Buffer.from(sealed!.data!);
    altered[20]! ^= 1;
    await expect(codec.decode([{ ...sealed, data: altered }])).rejects.toThrow('does not decrypt with it');
    await expect(new AesGcmPayloadCodec([key('k1')]).decode([sealed!])).rejects.toThrow('does not decrypt with it');
    await expect(codec.decode([{ ...sealed, data: altered.subarray(0, 10) }])).rejects.toThrow('too short');
    await expect(codec.decode([{ metadata: { encoding: sealed!.metadata!.encoding! }, data: sealed!.data! }])).rejects.toThrow('names no encryption-key-id');
  });
});

describe('the codec from the configuration', () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('uses the configured keys', async () => {
    const configured = `2026-12:${randomBytes(32).toString('base64')},2026-06:${randomBytes(32).toString('base64')}`;
    expect((await payloadCodecFromConfig(loadConfig({ PAYLOAD_CODEC_KEYS: configured }))).encryptingKeyId).toBe('2026-12');
  });

  it('outside production without keys, makes one development key in DATA_DIR, readable by its owner only, and keeps it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'codec-key-'));
    dirs.push(dir);
    const config = loadConfig({ DATA_DIR: dir });
    const first = await payloadCodecFromConfig(config);
    const second = await payloadCodecFromConfig(config);
    expect(first.encryptingKeyId).toMatch(/^dev-[0-9a-f]{8}$/);
    expect(second.encryptingKeyId).toBe(first.encryptingKeyId);
    const [sealed] = await first.encode([defaultPayloadConverter.toPayload(form)!]);
    expect(defaultPayloadConverter.fromPayload((await second.decode([sealed!]))[0]!)).toEqual(form);
    expect((await stat(path.join(dir, 'payload-codec', 'key'))).mode & 0o777).toBe(0o600);
  });

  it('never makes one in production', async () => {
    const config = { ...loadConfig({}), env: 'production' as const };
    await expect(payloadCodecFromConfig(config)).rejects.toThrow('PAYLOAD_CODEC_KEYS is required in production');
  });
});
