import { z } from 'zod';

/**
 * One line of a simulation trace: a task's run (or the part of one cut short by preemption), or a model's load or
 * unload on its cards. `name` is the task's id for runs and the id of the task a load/unload was made for
 * (`prepare` when loaded ahead of work). Written as JSON lines, one entry per line, in start order.
 */
export const TraceEntrySchema = z.strictObject({
  kind: z.enum(['run', 'preempted', 'load', 'unload']),
  name: z.string(),
  model: z.string().nullable(),
  gpus: z.array(z.int().min(0)),
  start_s: z.number().min(0),
  end_s: z.number().min(0),
});
/** A trace entry. */
export type TraceEntry = z.infer<typeof TraceEntrySchema>;

/** A trace as JSON lines. */
export function traceToJsonLines(trace: readonly TraceEntry[]): string {
  return trace.map((entry) => JSON.stringify(entry)).join('\n') + (trace.length > 0 ? '\n' : '');
}
