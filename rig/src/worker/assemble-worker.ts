import type { Logger } from 'pino';
import { systemRuntime, type GpuInfo, type RigConfig, type RigEvent, type Runtime, type Task } from '@rigmind/protocol';
import { CardManager } from '../gpu/card-manager.js';
import { GpuPoller } from '../gpu/gpu-poller.js';
import { GpuProbe } from '../gpu/gpu-probe.js';
import { ThermalGuard } from '../gpu/thermal-guard.js';
import { vramFreedCheck } from '../gpu/vram-check.js';
import { OllamaClient } from '../ollama/ollama-client.js';
import { CardTaskRunner } from './card-task-runner.js';
import { createLlmRunner } from './llm-runner.js';
import { resourceRefused } from './resource-result.js';
import { Sentinel } from './sentinel.js';
import { ShellRunner } from './shell-runner.js';
import { SimulatedRunner } from './simulated-runner.js';
import type { RigTimings } from '../sim/rig-timings.js';
import type { TaskRunner } from './task-runner.js';

/** What a worker process is made of, besides its connection. */
export interface WorkerParts {
  readonly runnerFor: (task: Task) => TaskRunner;
  /** Start the card poller (real GPUs), reporting through the worker once it exists. */
  start(hooks: { report: (event: RigEvent) => void; setAccepting: (accepting: boolean) => void }): void;
  /** Stop polling and release the sentinel (it then kills any task group still listed). */
  stop(): Promise<void>;
}

/** How to build the parts. */
export interface WorkerPartsOptions {
  readonly workerId: string;
  readonly gpus: readonly GpuInfo[];
  readonly config: RigConfig;
  readonly logger: Logger;
  /** GPUs are simulated: script and llm tasks are timed, not run. */
  readonly simulateGpus: boolean;
  /** Ollama is simulated: llm tasks are timed, not run. */
  readonly simulateLlm: boolean;
  /** cpu tasks are timed, not run (a rig profile simulated live). */
  readonly simulateCpu?: boolean;
  readonly ollamaUrl: string;
  readonly timeScale: number;
  /** Simulated cards follow this profile's timings (`up --simulate PROFILE`). */
  readonly timings?: RigTimings | undefined;
  readonly ldLibraryPath?: string | undefined;
  readonly inheritedLdLibraryPath?: string | undefined;
  /** For tests: how nvidia-smi is reached. */
  readonly probe?: GpuProbe;
  /** Time and waiting for every part; the system's unless a test drives it. */
  readonly runtime?: Runtime;
}

/** Resource tasks reach only workers with cards; one without says so rather than pretend. */
const noCard: TaskRunner = {
  run: async (request) => resourceRefused(request, 'this worker has no GPU to load a model on'),
};

/**
 * Build a worker's runners. On real GPUs the first card gets a CardManager (the seed's LLM/script switching, with
 * VRAM checks through nvidia-smi) and a poller feeding the thermal guard; simulated parts are labelled as such.
 */
export function assembleWorker(options: WorkerPartsOptions): WorkerParts {
  const indices = options.gpus.map((gpu) => gpu.index);
  const runtime = options.runtime ?? systemRuntime;
  const sentinel = Sentinel.start();
  const shell = new ShellRunner(
    {
      gpus: indices,
      ldLibraryPath: options.ldLibraryPath,
      inheritedLdLibraryPath: options.inheritedLdLibraryPath,
      killGraceMs: 5_000,
    },
    sentinel,
  );
  const sim = new SimulatedRunner(
    indices,
    {
      timeScale: options.timeScale,
      maxWaitS: options.timings !== undefined ? Number.POSITIVE_INFINITY : 5,
      timings: options.timings,
      defaultModel: options.config.default_llm_model,
    },
    runtime,
  );
  const realGpus = !options.simulateGpus && indices.length > 0;
  const ollama = new OllamaClient({ baseUrl: options.ollamaUrl, runtime });
  const { max_input_bytes, max_image_bytes, confidence_threshold } = options.config.llm;
  const llm = createLlmRunner(ollama, options.config.default_llm_model, realGpus ? -1 : undefined, {
    maxInputBytes: max_input_bytes,
    maxImageBytes: max_image_bytes,
    // Without a gateway the brain has nowhere to send an unsure answer: it is used, so it is handed on too.
    confidenceThreshold: options.config.escalation.gateway_url === undefined ? 0 : confidence_threshold,
  });
  let report: (event: RigEvent) => void = () => undefined;
  let poller: GpuPoller | undefined;
  let card: CardTaskRunner | undefined;
  const probe = options.probe ?? new GpuProbe({ runtime });
  if (realGpus) {
    const manager = new CardManager({
      gpuId: indices[0] as number,
      workerId: options.workerId,
      ollama,
      runtime,
      emit: (event) => report(event),
      vramFreed: vramFreedCheck(probe, indices, options.config.gpu.free_vram_mb),
      unloadTimeoutMs: options.config.gpu.unload_timeout_ms,
      pollMs: 250,
    });
    card = new CardTaskRunner(manager, shell, options.simulateLlm ? sim : llm, options.config.default_llm_model);
  }
  return {
    runnerFor(task) {
      if (task.task_class === 'resource')
        return card !== undefined && !options.simulateLlm
          ? card
          : options.simulateGpus || options.simulateLlm
            ? sim
            : noCard;
      if (task.task_class === 'cpu' && task.type === 'shell' && options.simulateCpu === true) return sim;
      if (task.type === 'llm' && options.simulateLlm && card === undefined) return sim;
      if (task.task_class === 'script' && options.simulateGpus) return sim;
      if (task.type === 'llm' && options.simulateGpus) return sim;
      if (card !== undefined && (task.type === 'llm' || task.task_class === 'script')) return card;
      return task.type === 'llm' ? llm : shell;
    },
    start(hooks) {
      report = hooks.report;
      sim.reportTo(hooks.report);
      if (!realGpus) return;
      const { stop_at_c, resume_below_c, alert_at_c } = options.config.gpu;
      const guard = new ThermalGuard({
        thresholds: { stop_at_c, resume_below_c, alert_at_c },
        workerId: options.workerId,
      });
      poller = new GpuPoller({
        probe,
        intervalMs: options.config.gpu.poll_ms,
        runtime,
        onResult: (result) => {
          if (!result.ok) {
            options.logger.warn({ code: result.code }, `nvidia-smi: ${result.message}`);
            return;
          }
          const events = result.value.samples
            .filter((sample) => indices.includes(sample.index))
            .flatMap((sample) => guard.observe(sample, result.value.at));
          // Whether it takes work goes first: a brain that heard `hot` before it could still lease to the card.
          hooks.setAccepting(indices.every((index) => guard.accepting(index)));
          for (const event of events) report(event);
        },
        onError: (error) => options.logger.error({ err: error }, 'gpu poll handler failed'),
      });
      poller.start();
    },
    async stop() {
      await poller?.stop();
      sentinel.close();
    },
  };
}
