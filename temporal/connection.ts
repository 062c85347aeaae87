import { readFileSync } from 'node:fs';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import type { Config } from '../config';

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

export async function connectTemporal(config: Config, address: string): Promise<Connection> {
  return Connection.connect(connectionOptions(config, address));
}

export async function connectClient(config: Config, address: string): Promise<Client> {
  return new Client({ connection: await connectTemporal(config, address), namespace: config.temporal.namespace });
}

export async function connectWorkerConnection(config: Config, address: string): Promise<NativeConnection> {
  return NativeConnection.connect(connectionOptions(config, address));
}
