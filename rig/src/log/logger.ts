import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import { rigEnv } from '../config/env.js';
import { LogFile } from './log-file.js';

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  /** Component name: brain, worker, cli. */
  readonly name: string;
  /** Folder for the JSON log file; none means no file. */
  readonly logDir?: string;
  /** Also write to the terminal (pretty when it is a TTY, JSON otherwise). */
  readonly console?: boolean;
  /** Terminal threshold, when it should be quieter than the file. */
  readonly consoleLevel?: pino.Level;
}

/**
 * A pino logger that always writes JSON events to `<logDir>/<name>.log` and, for a person at a terminal,
 * pretty lines on stderr.
 */
export function createLogger(options: LoggerOptions): Logger {
  const level = rigEnv().RIGMIND_LOG_LEVEL ?? 'info';
  const streams: pino.StreamEntry<pino.Level>[] = [];
  if (level === 'silent') return pino({ level: 'silent' });
  if (options.logDir !== undefined) {
    // A log that cannot be written (a full disk) degrades to one warning on stderr, never a crash.
    streams.push({ level, stream: new LogFile(join(options.logDir, `${options.name}.log`)) });
  }
  if (options.console === true) {
    const tty = process.stderr.isTTY === true;
    streams.push({
      level: options.consoleLevel ?? level,
      stream: tty
        ? pretty({
            destination: 2,
            colorize: rigEnv().NO_COLOR === undefined,
            translateTime: 'HH:MM:ss.l',
            ignore: 'pid,hostname',
          })
        : process.stderr,
    });
  }
  if (streams.length === 0) return pino({ level: 'silent' });
  return pino({ name: options.name, level, base: { component: options.name } }, pino.multistream(streams));
}
