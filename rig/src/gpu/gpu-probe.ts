import { err, ok, systemRuntime, type Result, type Runtime } from '@rigmind/protocol';
import {
  LEGACY_REASONS_FIELD,
  parseSampleOutput,
  queryFields,
  REASONS_FIELD,
  type GpuSample,
  type ProbeIssue,
  type ReasonsField,
} from './gpu-sample.js';
import { execaRunner, type ProcessRunner } from './process-runner.js';

/** Why a probe produced no samples: no binary (serve cpu work only), the driver failed, or it hung. */
export type ProbeFailureCode = 'nvidia_smi_missing' | 'nvidia_smi_failed' | 'nvidia_smi_timeout';

/** What one successful probe saw: every card's sample, the lines that were no sample, and the field name used. */
export interface ProbeSnapshot {
  readonly at: number;
  readonly samples: GpuSample[];
  readonly issues: ProbeIssue[];
  readonly reasonsField: ReasonsField;
}

/** One probe of every card, or a failure with a stable code; both say when (`at`), so a poller can age either. */
export type ProbeResult = Result<ProbeSnapshot, ProbeFailureCode, { readonly at: number }>;

/** Options for {@link GpuProbe}. */
export interface GpuProbeOptions {
  readonly runner?: ProcessRunner;
  readonly command?: string;
  readonly timeoutMs?: number;
  readonly env?: Readonly<Record<string, string>>;
  readonly runtime?: Pick<Runtime, 'now'>;
}

const INVALID_FIELD = /Field "([^"]+)" is not a valid field to query/;

/** The nvidia-smi arguments for a query of {@link queryFields}. */
export function probeArgs(reasonsField: ReasonsField): string[] {
  return [`--query-gpu=${queryFields(reasonsField).join(',')}`, '--format=csv,noheader,nounits'];
}

/**
 * Reads every card through nvidia-smi. Remembers which name of the throttle field the driver takes,
 * so an old driver costs one refused run, not one per poll.
 */
export class GpuProbe {
  readonly #runner: ProcessRunner;
  readonly #command: string;
  readonly #timeoutMs: number;
  readonly #env: Readonly<Record<string, string>> | undefined;
  readonly #runtime: Pick<Runtime, 'now'>;
  #reasonsField: ReasonsField = REASONS_FIELD;

  constructor(options: GpuProbeOptions = {}) {
    this.#runner = options.runner ?? execaRunner;
    this.#command = options.command ?? 'nvidia-smi';
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#env = options.env;
    this.#runtime = options.runtime ?? systemRuntime;
  }

  /** The throttle field name in use: the new one until a driver refuses it. */
  get reasonsField(): ReasonsField {
    return this.#reasonsField;
  }

  /** Query every card once. Never throws for anything nvidia-smi or the OS can do. */
  async probe(): Promise<ProbeResult> {
    const first = await this.#run(this.#reasonsField);
    if (first.ok || first.refusedField !== REASONS_FIELD) return first.result;
    this.#reasonsField = LEGACY_REASONS_FIELD;
    return (await this.#run(LEGACY_REASONS_FIELD)).result;
  }

  async #run(field: ReasonsField): Promise<{ ok: boolean; result: ProbeResult; refusedField?: string }> {
    const outcome = await this.#runner(this.#command, probeArgs(field), {
      timeoutMs: this.#timeoutMs,
      ...(this.#env ? { env: this.#env } : {}),
    });
    const at = this.#runtime.now();
    const fail = (code: ProbeFailureCode, message: string, refusedField?: string) => ({
      ok: false,
      result: err(code, message, { at }),
      ...(refusedField === undefined ? {} : { refusedField }),
    });
    switch (outcome.kind) {
      case 'not_found':
        return fail('nvidia_smi_missing', outcome.message);
      case 'timeout':
        return fail('nvidia_smi_timeout', outcome.message);
      case 'failed':
        return fail('nvidia_smi_failed', outcome.message);
      case 'exited': {
        if (outcome.exitCode !== 0) {
          // Drivers print the refusal on stdout or stderr depending on version; look at both.
          const said = `${outcome.stdout}\n${outcome.stderr}`.trim();
          const refused = INVALID_FIELD.exec(said)?.[1];
          return fail('nvidia_smi_failed', `nvidia-smi exited ${outcome.exitCode}: ${firstLine(said)}`, refused);
        }
        const { samples, issues } = parseSampleOutput(outcome.stdout);
        return { ok: true, result: ok({ at, samples, issues, reasonsField: field }) };
      }
    }
  }
}

function firstLine(text: string): string {
  const line = text.split(/\r?\n/).find((candidate) => candidate.trim() !== '');
  return line === undefined ? '(no output)' : line.slice(0, 300);
}
