import { hostname } from 'node:os';
import { Option, type Command } from 'commander';
import { systemRuntime, TaskClassSchema, type GpuInfo, type WorkerInfo } from '@rigmind/protocol';
import { rigEnv } from '../../config/env.js';
import { createLogger } from '../../log/logger.js';
import { profileTimings, type RigTimings } from '../../sim/rig-timings.js';
import { loadRigProfile } from '../../sim/scenario.js';
import { assembleWorker } from '../../worker/assemble-worker.js';
import { detectGpus, simulatedGpus } from '../../worker/detect-gpus.js';
import { Worker } from '../../worker/worker.js';
import { CliError, openHome } from '../context.js';
import { untilSignal } from '../signals.js';

interface WorkerFlags {
  id: string;
  gpus?: string;
  classes?: string;
  prefer?: string;
  slots?: string;
  executor: 'worker' | 'brain';
  simulate?: boolean;
  simulateLlm?: boolean;
  simulateCpu?: boolean;
  timeScale: string;
  ollama?: string;
  model?: string;
  profile?: string;
  ldLibraryPath?: string;
  quiet?: boolean;
}

/** Parse a comma list of GPU indices, naming the bad entry. */
export function parseGpuList(text: string): number[] {
  return text
    .split(',')
    .filter((part) => part.trim() !== '')
    .map((part) => {
      const value = Number(part.trim());
      if (!Number.isInteger(value) || value < 0)
        throw new CliError(`--gpus: '${part}' is not a GPU index (use e.g. --gpus 1 or --gpus 0,3)`);
      return value;
    });
}

/** Parse a comma list of task classes, naming the bad entry. */
export function parseClasses(text: string): WorkerInfo['classes'] {
  return text.split(',').map((part) => {
    const parsed = TaskClassSchema.exclude(['resource']).safeParse(part.trim());
    if (!parsed.success) throw new CliError(`--classes: '${part}' is not one of cpu, script, llm`);
    return parsed.data;
  });
}

/** `rigmind worker`: one process per GPU (or CPU-only), registering with the brain on start. */
export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run a worker that registers with the brain and runs what it is dispatched')
    .requiredOption('--id <id>', 'worker id, unique on the rig (e.g. gpu1)')
    .option('--gpus <list>', 'GPU indices this worker owns, e.g. 1 or 0,3 (default: all that nvidia-smi shows)')
    .option('--classes <list>', 'task classes served: cpu,script,llm (default: all with GPUs, cpu without)')
    .option('--prefer <class>', 'class to take first when several are ready')
    .option('--slots <n>', 'tasks at once (default 1 per GPU, 2 for a cpu-only worker)')
    .addOption(
      new Option('--executor <who>', 'run worker tasks, or the brain-executor tasks on the brain cards')
        .choices(['worker', 'brain'])
        .default('worker'),
    )
    .option('--simulate', 'simulated GPUs: script and llm tasks are not run, only timed (labelled simulated)')
    .option('--simulate-llm', 'real GPUs but no Ollama: llm tasks are simulated')
    .option('--simulate-cpu', 'cpu tasks are timed, not run too (a whole rig profile simulated live)')
    .option('--time-scale <x>', 'wall seconds per simulated second', '0.05')
    .option('--profile <file>', 'with --simulate: cards follow this rig profile (model load, unload and run times)')
    .option('--ollama <url>', 'Ollama server of this worker (default: config ollama_url)')
    .option(
      '--model <name>',
      "model for llm tasks that name none (default: config default_llm_model; the brain executor's is its 14B)",
    )
    .option('--ld-library-path <path>', 'prepended to LD_LIBRARY_PATH of every task (CUDA libraries)')
    .option('--quiet', 'only warnings on the terminal')
    .action(async (flags: WorkerFlags, command: Command) => {
      const { home, config } = openHome(command.optsWithGlobals<{ home?: string }>().home, 'run');
      const logger = createLogger({
        name: `worker-${flags.id}`,
        logDir: home.logDir,
        console: true,
        ...(flags.quiet === true ? { consoleLevel: 'warn' } : {}),
      });
      const wanted = flags.gpus === undefined ? undefined : parseGpuList(flags.gpus);
      let gpus: GpuInfo[] = [];
      let simulated = flags.simulate === true;
      if (simulated) {
        gpus = simulatedGpus(wanted ?? [0]);
        logger.info(
          { gpus: gpus.map((gpu) => gpu.index) },
          'SIMULATED GPUs: script and llm tasks will be timed, not run',
        );
      } else if (
        flags.classes !== undefined &&
        parseClasses(flags.classes).every((taskClass) => taskClass === 'cpu') &&
        wanted === undefined
      ) {
        // A cpu-only worker by choice: no GPUs to look for.
      } else {
        const found = await detectGpus(wanted);
        if (found.ok) gpus = found.value;
        else if (found.code === 'unknown_gpu') throw new CliError(found.message);
        else
          logger.warn(
            { reason: found.message },
            'no GPUs found: serving cpu work only (use --simulate for simulated GPUs)',
          );
      }
      const classes =
        flags.classes !== undefined
          ? parseClasses(flags.classes)
          : gpus.length > 0
            ? (['cpu', 'script', 'llm'] as const).slice()
            : (['cpu'] as const).slice();
      if (gpus.length === 0 && classes.some((taskClass) => taskClass !== 'cpu')) {
        throw new CliError(
          `--classes ${classes.join(',')}: this worker has no GPUs, so it can only serve cpu ` +
            '(use --simulate for simulated GPUs)',
        );
      }
      const prefer = flags.prefer === undefined ? undefined : parseClasses(flags.prefer)[0];
      // One task per card; the brain executor's model spans its cards, so it runs one task at a time.
      const slots =
        flags.slots === undefined
          ? flags.executor === 'brain'
            ? 1
            : Math.max(1, gpus.length === 0 ? 2 : gpus.length)
          : Number(flags.slots);
      if (!Number.isInteger(slots) || slots < 1)
        throw new CliError(`--slots: '${flags.slots}' is not a whole number of at least 1`);
      const ollamaUrl = flags.ollama ?? config.ollama_url;
      const simulateLlm = simulated || flags.simulateLlm === true;
      simulated = simulated || simulateLlm || flags.simulateCpu === true;
      const info: WorkerInfo = {
        id: flags.id,
        gpus,
        classes,
        ...(prefer !== undefined ? { prefer } : {}),
        executor: flags.executor,
        slots,
        simulated,
        host: hostname(),
        pid: process.pid,
        ...(simulateLlm ? {} : { ollama_url: ollamaUrl }),
        model: flags.model ?? config.default_llm_model,
      };
      const env = rigEnv();
      const timeScale = Number(flags.timeScale);
      if (!(timeScale >= 0)) throw new CliError(`--time-scale: '${flags.timeScale}' is not a number of at least 0`);
      let timings: RigTimings | undefined;
      if (flags.profile !== undefined) {
        if (flags.simulate !== true && flags.simulateCpu !== true)
          throw new CliError('--profile goes with --simulate or --simulate-cpu');
        const loaded = await loadRigProfile(flags.profile);
        if (!loaded.ok) throw new CliError(loaded.message);
        timings = profileTimings(loaded.value);
      }
      const parts = assembleWorker({
        workerId: flags.id,
        gpus,
        config: flags.model === undefined ? config : { ...config, default_llm_model: flags.model },
        logger,
        simulateGpus: flags.simulate === true,
        simulateLlm,
        simulateCpu: flags.simulateCpu === true,
        ollamaUrl,
        timeScale,
        timings,
        ldLibraryPath: flags.ldLibraryPath ?? env.RIGMIND_LD_LIBRARY_PATH,
        inheritedLdLibraryPath: env.LD_LIBRARY_PATH,
        runtime: systemRuntime,
      });
      const worker = new Worker({
        info,
        endpoint: config.brain.router,
        taskLogDir: home.taskLogDir,
        logger,
        maxFrameBytes: config.max_frame_bytes,
        heartbeatMs: config.heartbeat_ms,
        liveness: config.heartbeat_liveness,
        runnerFor: parts.runnerFor,
        runtime: systemRuntime,
      });
      parts.start({
        report: (event) => worker.report(event),
        setAccepting: (accepting) => worker.setAccepting(accepting),
      });
      worker.start();
      logger.info(
        { worker: info.id, gpus: gpus.map((gpu) => gpu.index), classes, slots, simulated },
        `worker ${info.id} connecting to ${config.brain.router}`,
      );
      await untilSignal();
      await worker.stop();
      await parts.stop();
    });
}
