import pino, { type DestinationStream, type Logger } from 'pino';
import { redactDeep, redactText } from '../sanitize/redact.js';

/** A pino logger. */
export type GatewayLogger = Logger;

/** Options for {@link createGatewayLogger}. */
export interface GatewayLoggerOptions {
  readonly level?: string;
  /** Where JSON lines go; stderr by default. Tests pass a stream to read what was logged. */
  readonly destination?: DestinationStream;
}

/**
 * A pino JSON logger that redacts every string it is given (message and fields), so a secret that slipped
 * into an error message cannot reach a log file. By default it writes to stderr asynchronously.
 */
export function createGatewayLogger(options: GatewayLoggerOptions = {}): GatewayLogger {
  return pino(
    {
      name: 'gateway',
      level: options.level ?? 'info',
      base: { component: 'gateway' },
      formatters: { log: (object) => redactDeep(plainErrors(object)) },
      hooks: {
        logMethod(args, method) {
          const cleaned = args.map((arg: unknown) => (typeof arg === 'string' ? redactText(arg).text : arg));
          method.apply(this, cleaned as Parameters<typeof method>);
        },
      },
    },
    // Asynchronous: a line is handed to libuv's thread pool instead of a write() on the request's thread (a
    // synchronous write per escalation was about 3% of its CPU). pino flushes what is left on exit, uncaught
    // errors included; only a kill -9 or a hard crash can lose the last few lines (the ledger and the audit log,
    // which record the same calls, are in SQLite).
    options.destination ?? pino.destination({ dest: 2, sync: false }),
  );
}

// Errors keep message and stack in non-enumerable properties, which redaction would otherwise drop.
function plainErrors(object: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    out[key] = value instanceof Error ? { type: value.name, message: value.message, stack: value.stack } : value;
  }
  return out;
}
