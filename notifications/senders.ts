import { ConfigError, type Config } from '../config';
import type { Senders } from './channel';
import { createHttpGatewaySender, pushJson, smsJson } from './http-gateway-sender';
import { createSmtpSender } from './smtp-sender';

/** One sender per channel, from a configuration whose providers are all known (real, or the local sinks). */
export function sendersFromConfig(config: Config): Senders {
  const { mail, sms, push, timeoutMs } = config.notifications;
  const missing = [!mail.host && 'SMTP_HOST', !sms.url && 'SMS_GATEWAY_URL', !push.url && 'PUSH_GATEWAY_URL'].filter(Boolean);
  if (missing.length) {
    throw new ConfigError(
      `Invalid configuration:\n${missing.map((m) => `  ${m}: required to run the worker alone (or use npm start, which runs local sinks)`).join('\n')}`,
    );
  }
  return {
    email: createSmtpSender({ ...mail, host: mail.host! }, timeoutMs),
    sms: createHttpGatewaySender({ url: sms.url!, secret: sms.secret }, timeoutMs, smsJson),
    push: createHttpGatewaySender({ url: push.url!, secret: push.secret }, timeoutMs, pushJson),
  };
}
