/**
 * Prints the last messages the local sinks of `npm start` received (same DATA_DIR): the
 * SMS, e-mails and pushes a citizen would get, one-time codes included.
 *
 *   npm run messages [-- --to ADDRESS] [--last N]
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config';
import { readReceived } from '../notifications/sinks/received';

function main() {
  const { values } = parseArgs({ options: { to: { type: 'string' }, last: { type: 'string', default: '10' } } });
  const last = Number(values.last);
  if (!Number.isInteger(last) || last < 1) throw new ConfigError('--last takes a positive whole number');
  const dir = loadConfig().notifications.sinks.dir;
  return readReceived(dir, { to: values.to, last }).then((messages) => {
    if (!messages.length) {
      process.stdout.write(`no messages${values.to ? ` to ${values.to}` : ''} in ${dir} (npm start runs the local sinks when SMTP_HOST, SMS_GATEWAY_URL or PUSH_GATEWAY_URL is unset)\n`);
      return;
    }
    for (const m of messages) {
      process.stdout.write(`${m.receivedAt}  ${m.channel.padEnd(5)}  to ${m.to}${m.subject ? `  «${m.subject}»` : ''}\n  ${m.text.replace(/\n/g, '\n  ')}\n`);
    }
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
