import type { MessageKind } from './messages.js';
import type { Role } from './roles.js';

/**
 * The dispatch rule: which role may send which kind. Only the brain commands workers; clients and workers
 * request and report; the gateway only advises. A message whose sender breaks this table fails to parse.
 */
export const DISPATCH_RULE = {
  register: ['worker'],
  heartbeat: ['worker', 'brain'],
  task_started: ['worker'],
  task_result: ['worker'],
  goodbye: ['worker'],
  worker_event: ['worker'],
  welcome: ['brain'],
  dispatch: ['brain'],
  cancel_task: ['brain'],
  reregister: ['brain'],
  submit_plan: ['client'],
  plan_chunk: ['client'],
  status_request: ['client'],
  cancel_request: ['client'],
  retry_request: ['client'],
  logs_request: ['client'],
  escalate_request: ['client'],
  plan_accepted: ['brain'],
  status_reply: ['brain'],
  chunk_received: ['brain'],
  ack: ['brain'],
  refused: ['brain'],
  logs_reply: ['brain'],
  escalation: ['brain'],
  advice: ['gateway'],
} as const satisfies Record<MessageKind, readonly Role[]>;

/** Kinds that make a worker act. The rule above must give every one of them to the brain alone. */
export const WORKER_COMMANDS = [
  'welcome',
  'dispatch',
  'cancel_task',
  'reregister',
] as const satisfies readonly MessageKind[];

/** Whether `role` may send `kind` under the dispatch rule. */
export function maySend(role: Role, kind: MessageKind): boolean {
  return (DISPATCH_RULE[kind] as readonly Role[]).includes(role);
}
