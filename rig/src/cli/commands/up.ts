import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Option, type Command } from 'commander';
import type { RigProfile } from '@rigmind/protocol';
import { execa } from 'execa';
import { GpuProbe } from '../../gpu/gpu-probe.js';
import { loadRigProfile } from '../../sim/scenario.js';
import { CliError, openHome, printJson } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { renderPlanStatus } from '../render-status.js';
import { BRAIN_READY, untilSignal } from '../signals.js';
import { demoAsk } from '../demo-ask.js';
import { watchThermal } from '../thermal-warnings.js';
import { submitPlanFile } from './submit.js';

/** Children run the same entry this process was started from (main.ts under tsx, the bin shim, or dist). */
const ENTRY = process.argv[1] ?? fileURLToPath(new URL('../bin.js', import.meta.url));
const DEMO_PLAN = fileURLToPath(new URL('../../../../examples/plans/demo.md', import.meta.url));

interface UpFlags {
  workers: string;
  demo?: boolean;
  json?: boolean;
  simulate?: string;
  timeScale: string;
  policy?: 'swap-aware' | 'naive';
}

/** The workers of a rig profile on simulated cards: one per card, the brain's cards together, and the cpu slots. */
function profileWorkers(
  profile: RigProfile,
  profilePath: string,
  timeScale: string,
): { name: string; args: string[] }[] {
  const brainGpus = profile.brain?.gpus ?? [];
  const common = ['--quiet', '--simulate', '--profile', profilePath, '--time-scale', timeScale];
  const workers = profile.gpus
    .filter((gpu) => !brainGpus.includes(gpu.index))
    .map((gpu) => ({
      name: `gpu${gpu.index}`,
      args: ['worker', '--id', `gpu${gpu.index}`, '--gpus', String(gpu.index), '--classes', 'script,llm', ...common],
    }));
  if (profile.brain !== undefined && brainGpus.length > 0) {
    const id = `brain-gpu${brainGpus.join('-')}`;
    workers.push({
      name: id,
      args: [
        'worker',
        '--id',
        id,
        '--gpus',
        brainGpus.join(','),
        '--classes',
        'script,llm',
        '--executor',
        'brain',
        '--model',
        profile.brain.model,
        ...common,
      ],
    });
  }
  workers.push({
    name: 'cpu',
    args: [
      'worker',
      '--id',
      'cpu',
      '--classes',
      'cpu',
      '--slots',
      String(profile.cpu_slots),
      '--simulate-cpu',
      '--profile',
      profilePath,
      '--time-scale',
      timeScale,
      '--quiet',
    ],
  });
  return workers;
}

/** What this machine offers, found out before starting workers. */
async function detectMachine(ollamaUrl: string): Promise<{ gpus: number[]; gpuNote: string; ollama: boolean }> {
  const probe = await new GpuProbe({ timeoutMs: 5_000 }).probe();
  const gpus = probe.ok ? probe.value.samples.map((sample) => sample.index) : [];
  const gpuNote = probe.ok ? `${gpus.length} NVIDIA GPU(s)` : probe.code;
  let ollama = false;
  try {
    const response = await fetch(new URL('/api/tags', ollamaUrl), { signal: AbortSignal.timeout(1_000) });
    ollama = response.ok;
  } catch {
    ollama = false;
  }
  return { gpus, gpuNote, ollama };
}

/** `rigmind up`: a brain and its workers in one foreground command; Ctrl-C stops them all. */
export function registerUp(program: Command): void {
  program
    .command('up')
    .description('run a brain and its workers in the foreground (Ctrl-C stops them all); --demo runs the example plan')
    .option('--workers <n>', 'number of workers', '3')
    .option('--demo', 'run the bundled demo plan in a fresh scratch home, print a summary and stop')
    .option('--json', 'with --demo: print the final status as one JSON document')
    .option(
      '--simulate <profile>',
      "the rig of a profile on SIMULATED GPUs, with the profile's load, unload and run times",
    )
    .option('--time-scale <x>', 'with --simulate: wall seconds per simulated second', '0.01')
    .addOption(
      new Option('--policy <name>', "GPU scheduling policy for the brain (default: the config's, swap-aware)").choices([
        'swap-aware',
        'naive',
      ]),
    )
    .action(async (flags: UpFlags, command: Command) => {
      const count = Number(flags.workers);
      if (!Number.isInteger(count) || count < 1 || count > 64)
        throw new CliError(`--workers: '${flags.workers}' is not a whole number from 1 to 64`);
      let homeFlag = command.optsWithGlobals<{ home?: string }>().home;
      if (flags.demo === true && homeFlag === undefined) homeFlag = scratchDemoHome();
      const { home, config } = openHome(homeFlag, 'run');
      const say = (line: string) => process.stderr.write(`${line}\n`);
      let profile: RigProfile | undefined;
      if (flags.simulate !== undefined) {
        const loaded = await loadRigProfile(flags.simulate);
        if (!loaded.ok) throw new CliError(loaded.message);
        profile = loaded.value;
        if (!(Number(flags.timeScale) > 0))
          throw new CliError(`--time-scale: '${flags.timeScale}' is not a number above 0`);
      }
      const machine =
        profile !== undefined
          ? { gpus: [], gpuNote: 'simulated', ollama: false }
          : await detectMachine(config.ollama_url);
      const simulateGpus = machine.gpus.length === 0;
      const simulateLlm = simulateGpus || !machine.ollama;
      if (profile !== undefined)
        say(
          `rigmind: SIMULATED rig '${profile.name}' (${profile.gpus.length} cards, ${profile.cpu_slots} cpu slots) ` +
            `at ${flags.timeScale}x time: script and llm tasks are timed, not run`,
        );
      else if (simulateGpus)
        say(
          `rigmind: no NVIDIA GPU found (${machine.gpuNote}): script and llm tasks run on SIMULATED GPUs (timed, ` +
            `not run)`,
        );
      else say(`rigmind: ${machine.gpuNote}`);
      if (!simulateGpus && !machine.ollama) say(`rigmind: no Ollama at ${config.ollama_url}: llm tasks are SIMULATED`);
      const workDir = join(home.dir, 'work');
      mkdirSync(workDir, { recursive: true });
      const children: { name: string; kill: (signal: NodeJS.Signals) => void; done: Promise<unknown> }[] = [];
      const options = {
        stdio: ['ignore', 'inherit', 'inherit'],
        env: { RIGMIND_WORK: workDir },
        reject: false,
        cleanup: true,
        forceKillAfterDelay: 10_000,
      } as const;
      const argsOf = (args: string[]) => [...process.execArgv, ENTRY, '--home', home.dir, ...args];
      const spawnChild = (name: string, args: string[]) => {
        const proc = execa(process.execPath, argsOf(args), options);
        children.push({ name, kill: (signal) => proc.kill(signal), done: proc });
      };
      const brainArgs = [
        'brain',
        '--quiet',
        ...(flags.simulate !== undefined ? ['--profile', flags.simulate, '--time-scale', flags.timeScale] : []),
        ...(flags.policy !== undefined ? ['--policy', flags.policy] : []),
      ];
      const brainProc = execa(process.execPath, argsOf(brainArgs), { ...options, ipc: true });
      children.push({ name: 'brain', kill: (signal) => brainProc.kill(signal), done: brainProc });
      let brainDied = false;
      // Whatever up is doing, it ends when its brain does: its workers must not serve another brain.
      const brainExited = brainProc.then((result) => {
        const how = result.signal !== undefined ? `killed by ${result.signal}` : `exit ${result.exitCode ?? '?'}`;
        return new CliError(`the brain exited (${how}); stopping its workers`, EXIT.busy, 'brain_exited');
      });
      const unlessBrainDies = async <T>(work: Promise<T>): Promise<T> => {
        const outcome = await Promise.race([
          work.then((value) => ({ value })),
          brainExited.then((error) => ({ error })),
        ]);
        if ('error' in outcome) {
          brainDied = true;
          throw outcome.error;
        }
        return outcome.value;
      };
      let thermal: { close(): Promise<void> } | undefined;
      try {
        // Ready is the brain's own word over IPC, not an answer on the address, which another brain may hold.
        // A brain that exits before it is ready rejects getOneMessage; then its exit, raced below, is the answer.
        const never = new Promise<never>(() => undefined);
        const ready = brainProc.getOneMessage({ filter: isBrainReady }).catch(() => never);
        await unlessBrainDies(ready);
        thermal = watchThermal(config.brain.pub, say);
        const workers =
          profile !== undefined && flags.simulate !== undefined
            ? profileWorkers(profile, flags.simulate, flags.timeScale)
            : Array.from({ length: count }, (_, index) => {
                const gpu = simulateGpus ? index : machine.gpus[index % machine.gpus.length];
                const args = ['worker', '--id', `w${index + 1}`, '--quiet', '--gpus', String(gpu)];
                if (simulateGpus) args.push('--simulate');
                else if (simulateLlm) args.push('--simulate-llm');
                return { name: `w${index + 1}`, args };
              });
        for (const worker of workers) spawnChild(worker.name, worker.args);
        say(
          `rigmind: brain on ${config.brain.router}, ${workers.length} worker(s): ` +
            `${workers.map((worker) => worker.name).join(', ')}; home ${home.dir}`,
        );
        if (flags.demo !== true) {
          await unlessBrainDies(untilSignal());
          return;
        }
        if (!existsSync(DEMO_PLAN)) throw new CliError(`the demo plan is missing: ${DEMO_PLAN}`);
        const demo = { wait: true, json: flags.json === true, source: 'demo' };
        const submitted = submitPlanFile(config.brain, DEMO_PLAN, demo);
        const { final } = await unlessBrainDies(submitted);
        if (final === undefined) return;
        if (flags.json === true) printJson(final);
        else {
          process.stdout.write(`\n${renderPlanStatus(final, true)}\n\n`);
          const simulatedNote = simulateLlm ? ' GPU/LLM work marked [simulated] was timed, not run.' : '';
          process.stdout.write(
            `demo ${final.state}: ${final.counts.completed ?? 0}/${final.total} tasks completed.${simulatedNote}\n`,
          );
          process.stdout.write(
            `state, logs and task output: ${home.dir} (rigmind --home ${home.dir} logs ${final.plan_id} TASK_NAME)\n`,
          );
          // The planning tier too: a small ask, shown and not submitted (docs/planning.md).
          process.stdout.write(`\n${await demoAsk(home.dir, config, machine.ollama)}\n`);
        }
        if (final.state !== 'completed') process.exitCode = 1;
      } finally {
        await thermal?.close();
        for (const child of children.slice().reverse()) child.kill('SIGTERM');
        await Promise.all(children.map((child) => child.done));
        if (brainDied) exitOnceDone();
      }
    });
}

/**
 * A fresh scratch home for one demo (a folder of its own under the temp dir), talking over ipc sockets inside it:
 * two demos at once, or a demo beside a running rig, share neither state nor addresses.
 */
function scratchDemoHome(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rigmind-demo-'));
  mkdirSync(join(dir, 'run'), { recursive: true });
  const brain = { router: `ipc://${dir}/run/brain.sock`, pub: `ipc://${dir}/run/events.sock` };
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ brain }, null, 2));
  return dir;
}

function isBrainReady(message: unknown): boolean {
  return typeof message === 'object' && message !== null && (message as { kind?: unknown }).kind === BRAIN_READY;
}

/**
 * After the brain died, a request still waiting on its address would keep this process alive for ever; once the
 * error is printed and the workers are stopped, nothing is left to do. Unref'd: a clean exit does not wait for it.
 */
function exitOnceDone(): void {
  setTimeout(() => process.exit(), 100).unref();
}
