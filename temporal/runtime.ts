import { Runtime, type Logger as SdkLogger, type LogLevel, type LogMetadata } from '@temporalio/worker';
import type { Logger } from 'pino';

const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * Routes the Temporal SDK's logs (worker, workflow and activity loggers) into pino.
 * The SDK's routine INFO chatter (bundling, state changes) is kept below `info` unless
 * the process runs at debug level. With `metricsAddress` (`host:port`) the SDK serves its
 * own metrics (task slots, poll and schedule latencies, sticky cache) there, at `/metrics`:
 * Temporal's exporter listens itself, so these cannot share the product's endpoint.
 */
export function installTemporalRuntime(logger: Logger, metricsAddress?: string): void {
  const sdk = logger.child({ component: 'temporal' });
  const quiet = !sdk.isLevelEnabled('debug');
  const log = (level: LogLevel, message: string, meta?: LogMetadata) => {
    const target = quiet && level === 'INFO' ? 'debug' : PINO_LEVEL[level];
    // pino serialises errors under `err`; the SDK puts them under `error`.
    const { error, ...rest } = (meta ?? {}) as LogMetadata & { error?: unknown };
    sdk[target](error === undefined ? rest : { ...rest, err: error }, message);
  };
  const bridge: SdkLogger = {
    log,
    trace: (m, meta) => log('TRACE', m, meta),
    debug: (m, meta) => log('DEBUG', m, meta),
    info: (m, meta) => log('INFO', m, meta),
    warn: (m, meta) => log('WARN', m, meta),
    error: (m, meta) => log('ERROR', m, meta),
  };
  Runtime.install({
    logger: bridge,
    telemetryOptions: metricsAddress ? { metrics: { prometheus: { bindAddress: metricsAddress } } } : undefined,
  });
}
