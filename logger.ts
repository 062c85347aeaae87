import pino, { type Logger } from 'pino';
import type { Config } from './config';

/**
 * Personal data never reaches the logs: request bodies are not logged, and these paths
 * are censored wherever they appear in a logged object.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  '*.form',
  '*.comment',
  '*.password',
  '*.snils',
  '*.passport',
  '*.phone',
  '*.email',
  '*.fileName',
];

export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({ level: config.logLevel, redact: { paths: REDACT_PATHS, censor: '[redacted]' } });
}
