import { readFileSync } from 'node:fs';
import { InterceptingCall, type Interceptor } from '@grpc/grpc-js';
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor, type ConnectionOptions } from '@temporalio/client';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import type { Config } from '../config';
import { dataConverter } from './data-converter';
import type { AesGcmPayloadCodec } from './payload-codec';

/** TLS / API-key options shared by the client and the worker's native connection. */
function connectionOptions(config: Config, address: string): ConnectionOptions & NativeConnectionOptions {
  const t = config.temporal;
  const tls = t.tls
    ? {
        ...(t.tlsCertPath && t.tlsKeyPath
          ? { clientCertPair: { crt: readFileSync(t.tlsCertPath), key: readFileSync(t.tlsKeyPath) } }
          : {}),
        ...(t.tlsCaPath ? { serverRootCACertificate: readFileSync(t.tlsCaPath) } : {}),
      }
    : undefined;
  return {
    address,
    tls,
    apiKey: t.apiKey,
    metadata: t.apiKey ? { 'temporal-namespace': t.namespace } : undefined,
  };
}

/**
 * Retries of a call that found no server: about 2 s in all (100 ms × 1.7ⁿ), where the
 * SDK's default (10 attempts up to 5 s apart) keeps a person waiting about 20 s.
 */
const CLIENT_ATTEMPTS = 5;
/**
 * Every call without a deadline of its own gets this one, so a server that holds the
 * connection without answering cannot hang a request. Above the server's long polls
 * (about 20 s), which an update waiting for its outcome is made of.
 */
const CALL_DEADLINE_MS = 30_000;
/**
 * Once the server is back, a channel that failed reconnects within this (grpc-js's
 * default backoff grows to 120 s, so a long outage would keep the API away as long).
 */
const MAX_RECONNECT_BACKOFF_MS = 2_000;

/**
 * System information is what the reachability checks ask for (the API's /readyz): a server
 * that is there answers it at once, so such a call may give up much sooner than others.
 */
const REACHABILITY_DEADLINE_MS = 2_000;

const callDeadline: Interceptor = (options, nextCall) => {
  const ms = options.method_definition.path.endsWith('/GetSystemInfo') ? REACHABILITY_DEADLINE_MS : CALL_DEADLINE_MS;
  return new InterceptingCall(nextCall({ ...options, deadline: options.deadline ?? Date.now() + ms }));
};

/**
 * A client connection for answering requests: while Temporal is away a call fails within
 * seconds (the API answers 503), and it recovers by itself when the server returns.
 */
export async function connectTemporal(config: Config, address: string): Promise<Connection> {
  const connection = await Connection.connect({
    ...connectionOptions(config, address),
    interceptors: [callDeadline, makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: CLIENT_ATTEMPTS }))],
    channelArgs: { 'grpc.max_reconnect_backoff_ms': MAX_RECONNECT_BACKOFF_MS },
  });
  // Connecting entered the SDK's call context (its deadline), and on Node 20 an
  // AsyncLocalStorage once entered hooks every promise the process makes from then on: a
  // few per cent of a status poll's CPU. Nothing here enters it again: deadlines come from
  // the interceptor above, and the namespace header of each call goes without it
  // (patches/@temporalio+client+*.patch). A `withDeadline` or `withMetadata` would.
  connection.callContextStorage.disable();
  return connection;
}

/** A client whose payloads the codec encrypts and decrypts: every client of the cases needs one. */
export async function connectClient(config: Config, address: string, codec: AesGcmPayloadCodec): Promise<Client> {
  return new Client({ connection: await connectTemporal(config, address), namespace: config.temporal.namespace, dataConverter: dataConverter(codec) });
}

export async function connectWorkerConnection(config: Config, address: string): Promise<NativeConnection> {
  return NativeConnection.connect(connectionOptions(config, address));
}
