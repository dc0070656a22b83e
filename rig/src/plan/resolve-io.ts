import { isAbsolute, join } from 'node:path';
import { templateInputs, type TaskInput } from '@rigmind/protocol';
import type { PlanIssueCode } from './plan-issue.js';
import type { LooseTask, ResolvedTask } from './resolve-fields.js';

type Report = (code: PlanIssueCode, path: string, message: string, index?: number) => void;

/** The environment variable a shell task finds an input's path in. */
export const inputEnvName = (name: string): string => `RIGMIND_INPUT_${name.toUpperCase()}`;

/**
 * Check and settle what each task reads and writes: every input is a `file` or the output of a task it depends
 * on (`from`, which must declare an `output`); an llm prompt inserts only inputs its task declares; images and
 * confidence belong to llm tasks. A `from` input is resolved here to the file it reads, so a worker needs nothing
 * but the task. Issues name the task and the input; the resolved tasks gain the fields.
 */
export function resolveIo(
  planTasks: readonly LooseTask[],
  byName: ReadonlyMap<string, number>,
  resolved: readonly (ResolvedTask | undefined)[],
  issue: Report,
): void {
  planTasks.forEach((task, index) => {
    const at = `tasks[${index}]`;
    const inputs: Record<string, TaskInput> = {};
    const envNames = new Map<string, string>();
    for (const [name, input] of Object.entries(task.inputs ?? {})) {
      const path = `${at}.inputs.${name}`;
      const shared = envNames.get(inputEnvName(name));
      if (shared !== undefined)
        issue('invalid_input', path, `inputs '${shared}' and '${name}' would share ${inputEnvName(name)}`, index);
      envNames.set(inputEnvName(name), name);
      if ((input.file === undefined) === (input.from === undefined)) {
        issue('invalid_input', path, `input '${name}' needs exactly one of file (a path) or from (a task)`, index);
        continue;
      }
      if (input.file !== undefined) {
        inputs[name] = { file: input.file };
        continue;
      }
      const from = input.from as string;
      if (!(task.depends_on ?? []).includes(from)) {
        const message =
          `input '${name}' reads the output of '${from}', which this task does not depend on ` +
          `(add '${from}' to depends_on)`;
        issue('input_not_dependency', `${path}.from`, message, index);
        continue;
      }
      const upstream = byName.get(from) ?? -1;
      const source = planTasks[upstream];
      if (source === undefined) continue; // An unknown dependency, reported as such.
      if (source.output === undefined) {
        const message = `input '${name}' reads the output of '${from}', which declares no output file`;
        issue('input_without_output', `${path}.from`, message, index);
        continue;
      }
      // A relative output is the upstream task's, taken from its cwd (its own or the plan's default).
      const cwd = resolved[upstream]?.cwd ?? source.cwd;
      const file = cwd !== undefined && !isAbsolute(source.output) ? join(cwd, source.output) : source.output;
      inputs[name] = { file, from };
    }
    const type = resolved[index]?.type ?? (task.prompt !== undefined ? 'llm' : task.type);
    if (type === 'llm' && task.prompt !== undefined) checkTemplate(task.prompt, task.inputs ?? {}, at, index, issue);
    if (type !== 'llm') {
      if (task.images !== undefined)
        issue('type_mismatch', `${at}.images`, 'images go to a vision model: only an llm task can send them', index);
      if (task.confidence !== undefined)
        issue('type_mismatch', `${at}.confidence`, 'only an llm task answers with a confidence', index);
    }
    const target = resolved[index];
    if (target === undefined) return;
    const io = {
      inputs: Object.keys(inputs).length > 0 ? inputs : undefined,
      output: task.output,
      images: task.images,
      confidence: task.confidence,
    };
    for (const [key, value] of Object.entries(io)) if (value !== undefined) Object.assign(target, { [key]: value });
  });
}

/** Every `{{input.NAME}}` of a prompt must name an input of its task. */
function checkTemplate(
  prompt: string,
  declared: Readonly<Record<string, unknown>>,
  at: string,
  index: number,
  issue: Report,
): void {
  const known = Object.keys(declared);
  for (const name of templateInputs(prompt)) {
    if (Object.hasOwn(declared, name)) continue;
    const has = known.length === 0 ? 'it declares no inputs' : `its inputs: ${known.join(', ')}`;
    issue(
      'unknown_input',
      `${at}.prompt`,
      `the prompt inserts {{input.${name}}}, which is no input of the task (${has})`,
      index,
    );
  }
}
