/**
 * The exit statuses of every `rigmind` command, one table for scripts (documented in docs/cli.md). A status says
 * what to do next: 1 look at the work, 2 fix the command line or config, 3 try again later, 4 free the home or
 * the address another process holds.
 */
export const EXIT = {
  /** Done: every task completed, the request was answered. */
  ok: 0,
  /** The work failed or was refused: a task or plan failed, a plan is invalid, the brain said no. */
  failed: 1,
  /** A usage error: a bad flag or argument, an invalid config, no rig at that home. */
  usage: 2,
  /** Not reached or not settled: no brain answers, the gateway has not settled an escalation yet. */
  unreachable: 3,
  /** Cannot run here: another brain holds the home, the address is in use, or `up`'s own brain died. */
  busy: 4,
} as const;
