import type { Config } from '../../config';
import { startHttpGatewaySink } from './http-gateway-sink';
import type { RunningSink } from './sink-files';
import { startSmtpSink } from './smtp-sink';

export interface LocalSinks {
  /** The configuration with the sinks as its providers. */
  config: Config;
  /** What runs, for the banner: undefined where a real provider is configured. */
  smtp?: RunningSink;
  gateway?: RunningSink & { url: string };
  close(): Promise<void>;
}

/**
 * Stands in for every provider the configuration leaves unset: an SMTP server for mail
 * and one HTTP receiver for the SMS and push gateways, both keeping what they receive
 * under DATA_DIR/sinks. What is configured is used as it is.
 */
export async function startLocalSinks(config: Config): Promise<LocalSinks> {
  const n = config.notifications;
  const smtp = n.mail.host ? undefined : await startSmtpSink({ dir: n.sinks.dir, port: n.sinks.smtpPort });
  const gateway =
    n.sms.url && n.push.url
      ? undefined
      : await startHttpGatewaySink({ dir: n.sinks.dir, port: n.sinks.httpPort, secrets: { sms: n.sms.secret, push: n.push.secret } }).catch(
          async (err: unknown) => {
            await smtp?.close();
            throw err;
          },
        );
  return {
    config: {
      ...config,
      notifications: {
        ...n,
        // The sink speaks no TLS.
        mail: smtp ? { ...n.mail, host: smtp.host, port: smtp.port, secure: false } : n.mail,
        sms: { ...n.sms, url: n.sms.url ?? `${gateway!.url}/sms` },
        push: { ...n.push, url: n.push.url ?? `${gateway!.url}/push` },
      },
    },
    smtp,
    gateway,
    async close() {
      await Promise.all([smtp?.close(), gateway?.close()]);
    },
  };
}
