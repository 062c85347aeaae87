/**
 * The API's Temporal connection leaves Node's AsyncLocalStorage off once connected. On
 * Node 20 an AsyncLocalStorage that was entered once hooks every promise the process makes
 * from then on (a few per cent of a status poll's CPU). The SDK entered its call context to
 * connect (temporal/connection.ts turns it off again) and on every WorkflowService call, to
 * send the namespace header (patches/@temporalio+client+*.patch sends it without).
 * `enabled` is Node 20's own flag of the storage.
 */
import type { Interceptor } from '@grpc/grpc-js';
import { InterceptingCall } from '@grpc/grpc-js';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../config';
import { connectTemporal } from '../../temporal/connection';

describe('the API client’s call context', () => {
  let connection: Connection;
  let client: Client;
  const storage = () => (connection.callContextStorage as unknown as { enabled: boolean }).enabled;

  beforeAll(async () => {
    const config = loadConfig({ ...process.env, NODE_ENV: 'test', TEMPORAL_ADDRESS: inject('temporalAddress') });
    connection = await connectTemporal(config, inject('temporalAddress'));
    client = new Client({ connection, namespace: config.temporal.namespace });
  });
  afterAll(() => connection.close());

  it('is off once connected, and stays off across calls that carry the namespace header', async () => {
    expect(storage()).toBe(false);
    const { namespaceInfo } = await client.workflowService.describeNamespace({ namespace: client.options.namespace });
    expect(namespaceInfo?.name).toBe(client.options.namespace);
    // An unknown workflow in the namespace: the server read the namespace from the call.
    await expect(client.workflow.getHandle('no-such-case').describe()).rejects.toThrow(/not found/i);
    expect(storage()).toBe(false);
  });

  it('sends every WorkflowService call the namespace header all the same', async () => {
    const seen: Array<{ path: string; namespace: unknown }> = [];
    const capture: Interceptor = (options, nextCall) =>
      new InterceptingCall(nextCall(options), {
        start(metadata, listener, next) {
          seen.push({ path: options.method_definition.path, namespace: metadata.get('temporal-namespace')[0] });
          next(metadata, listener);
        },
      });
    const capturing = await Connection.connect({ address: inject('temporalAddress'), interceptors: [capture] });
    try {
      await new Client({ connection: capturing, namespace: 'default' }).workflow.getHandle('no-such-case').describe().catch(() => undefined);
    } finally {
      await capturing.close();
    }
    expect(seen).toContainEqual({ path: '/temporal.api.workflowservice.v1.WorkflowService/DescribeWorkflowExecution', namespace: 'default' });
  });

  it('still sends a deadline given with withDeadline, which turns it on for that call', async () => {
    await expect(connection.withDeadline(Date.now() - 1, () => client.workflowService.getSystemInfo({}))).rejects.toThrow(/deadline/i);
    expect(storage()).toBe(true);
    connection.callContextStorage.disable();
  });
});
