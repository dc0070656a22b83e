import { z } from 'zod';

/** Who is speaking: the brain commands, workers and clients request, the gateway only advises. */
export const RoleSchema = z.enum(['client', 'brain', 'worker', 'gateway']);
/** One of the four roles on the wire. */
export type Role = z.infer<typeof RoleSchema>;

/** The sender of a message: its role and a stable id (worker id, client id, `brain`, gateway name). */
export const SenderSchema = z.strictObject({
  role: RoleSchema,
  id: z.string().min(1).max(128),
});
/** The sender of a message. */
export type Sender = z.infer<typeof SenderSchema>;
