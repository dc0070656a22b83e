import { createMessage, type Message } from '@rigmind/protocol';
import type { RoutedFrame } from '../transport/zmq.js';
import type { BrainContext } from './brain-context.js';
import { onCancel, onLogs, onRetry, onStatus, onSubmitPlan } from './client-handlers.js';
import type { BrainEffect } from './effects.js';
import { onPlanChunk } from './upload-handlers.js';
import {
  onGoodbye,
  onHeartbeat,
  onRegister,
  onTaskResult,
  onTaskStarted,
  onWorkerEvent,
  touchWorker,
} from './worker-handlers.js';

/**
 * Route a frame to its handler; returns what the handler wants done next, for the frame loop to apply in the
 * frame's transaction. The handlers do not call each other: whatever follows is in the effects.
 */
export function routeFrame(ctx: BrainContext, frame: RoutedFrame): readonly BrainEffect[] {
  const reply = (message: Message) => ctx.router.send(frame.identity, message);
  if (!frame.parsed.ok) {
    ctx.logger.warn(
      { code: frame.parsed.error.code, issues: frame.parsed.error.issues.slice(0, 5) },
      `refused frame: ${frame.parsed.error.message}`,
    );
    const { code, message, issues, re } = frame.parsed.error;
    // With the msg_id recovered from the frame, the refusal answers its request instead of timing it out.
    reply(createMessage('refused', { role: 'brain', id: ctx.id }, { code, message, issues: [...issues] }, re));
    return [];
  }
  const message = frame.parsed.value;
  switch (message.kind) {
    case 'register':
      return onRegister(ctx, frame.identity, message);
    case 'heartbeat':
      if (touchWorker(ctx, frame.identity, message)) onHeartbeat(ctx, message);
      return [];
    case 'worker_event':
      if (touchWorker(ctx, frame.identity, message)) onWorkerEvent(ctx, message);
      return [];
    case 'task_started':
      if (touchWorker(ctx, frame.identity, message)) onTaskStarted(ctx, message);
      return [];
    case 'task_result':
      // Refused unless from the connection holding the lease (recorded, so a forgery shows).
      return onTaskResult(ctx, frame.identity, message);
    case 'goodbye':
      return touchWorker(ctx, frame.identity, message) ? onGoodbye(ctx, message) : [];
    case 'submit_plan':
      // A large plan is answered after its last slice is stored: straight to the socket, not this frame's reply.
      return onSubmitPlan(ctx, message, reply, (late) => ctx.router.send(frame.identity, late));
    case 'plan_chunk':
      // Like submit_plan: the last chunk is answered once the plan is stored, straight to the socket.
      onPlanChunk(ctx, frame.identity, message, reply, (late) => ctx.router.send(frame.identity, late));
      return [];
    case 'status_request':
      onStatus(ctx, message, reply);
      return [];
    case 'cancel_request':
      return onCancel(ctx, message, reply);
    case 'retry_request':
      return onRetry(ctx, message, reply);
    case 'logs_request':
      onLogs(ctx, message, reply);
      return [];
    case 'escalate_request':
      if (ctx.escalation === undefined) {
        reply(
          createMessage(
            'refused',
            { role: 'brain', id: ctx.id },
            {
              code: 'no_gateway',
              message: 'no gateway is configured (escalation.gateway_url in config.json)',
              issues: [],
            },
            message.msg_id,
          ),
        );
      } else {
        const result = ctx.escalation.escalateByHand(message.task_id);
        reply(
          result.ok
            ? createMessage(
                'ack',
                { role: 'brain', id: ctx.id },
                { detail: 'handed to the external tier', affected: result.value },
                message.msg_id,
              )
            : createMessage(
                'refused',
                { role: 'brain', id: ctx.id },
                { code: result.code, message: result.message, issues: [] },
                message.msg_id,
              ),
        );
      }
      return [];
    default:
      reply(
        createMessage(
          'refused',
          { role: 'brain', id: ctx.id },
          { code: 'unexpected_kind', message: `the brain does not take '${message.kind}' messages`, issues: [] },
          message.msg_id,
        ),
      );
      return [];
  }
}
