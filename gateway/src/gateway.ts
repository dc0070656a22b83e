import { systemRuntime, type Runtime } from '@rigmind/protocol';
import type { Hono } from 'hono';
import type { Dispatcher } from 'undici';
import { AuditLog } from './audit/audit-log.js';
import { AuditChainCheck } from './audit/chain-check.js';
import { RefusalThrottle } from './audit/refusal-throttle.js';
import { NonceStore } from './auth/nonce-store.js';
import { RigRegistry } from './auth/rig-registry.js';
import { Ledger } from './budget/ledger.js';
import type { GatewayConfig } from './config/config-schema.js';
import { modelLifecycle } from './config/model-lifecycle.js';
import { usdToMicro } from './config/prices.js';
import { pooledRandomBytes } from './crypto/random-pool.js';
import { EscalationService } from './escalation/escalation-service.js';
import { EscalationStore } from './escalation/escalation-store.js';
import { OutboxWorker } from './escalation/outbox-worker.js';
import { createApp } from './http/app.js';
import type { SignedVariables } from './http/signed-requests.js';
import { RigLimiter } from './limits/rig-limiter.js';
import { createGatewayLogger, type GatewayLogger } from './log/logger.js';
import { startCheckpointer } from './store/checkpointer.js';
import { atomically as atomicallyOn, openGatewayDb, type Db } from './store/open-db.js';
import { createAnthropicClient } from './upstream/anthropic-call.js';
import { createEgress, type Egress } from './upstream/egress.js';
import { UpstreamGate } from './upstream/upstream-gate.js';

/** What a gateway is built from. Everything with side effects can be injected. */
export interface GatewayOptions {
  readonly home: string;
  readonly config: GatewayConfig;
  readonly apiKey: string;
  readonly logger?: GatewayLogger;
  /** Time, waiting and jitter for every part; the system's unless a test drives it. */
  readonly runtime?: Runtime;
  readonly randomBytes?: (size: number) => Buffer;
  /** Base dispatcher under the egress guard (the guard is always added). */
  readonly upstreamDispatcher?: Dispatcher;
  /** Checkpoint the WAL from a worker thread, off the request path, while writes come fast (default true). */
  readonly checkpointInWorker?: boolean;
}

/** A built gateway: its HTTP app, its stores, and the outbox loop to start and stop. */
export interface Gateway {
  readonly app: Hono<{ Variables: SignedVariables }>;
  readonly db: Db;
  readonly config: GatewayConfig;
  readonly registry: RigRegistry;
  readonly audit: AuditLog;
  readonly ledger: Ledger;
  readonly store: EscalationStore;
  readonly outbox: OutboxWorker;
  readonly egress: Egress;
  readonly logger: GatewayLogger;
  /** Stop the outbox and limiters, close the upstream pool and the database. */
  close(): Promise<void>;
}

/** Assemble a gateway on `<home>/gateway.db`. Leftover reservations of a crashed run are settled first. */
export function createGateway(options: GatewayOptions): Gateway {
  const { config, home } = options;
  const runtime = options.runtime ?? systemRuntime;
  const randomBytes = options.randomBytes ?? pooledRandomBytes();
  const logger = options.logger ?? createGatewayLogger();

  const db = openGatewayDb(home);
  const atomically = atomicallyOn(db);
  const checkpointer =
    options.checkpointInWorker === false
      ? undefined
      : startCheckpointer(db, {
          // Commits are unaffected: at worst checkpoints (and their fsyncs) fall back to SQLite's own, on commit.
          onError: (message) => logger.warn({ message }, 'WAL checkpoint trouble'),
          onWorker: (running) =>
            logger.debug(
              { running },
              running ? 'busy: WAL checkpoints moved to a worker thread' : 'quiet: WAL checkpoint worker retired',
            ),
        });
  const registry = new RigRegistry(db, runtime, randomBytes);
  const audit = new AuditLog(db, runtime);
  const nonces = new NonceStore(db, config.auth.max_skew_ms);
  const ledger = new Ledger(db, {
    overallDaily: usdToMicro(config.budgets.overall.daily_usd),
    overallMonthly: usdToMicro(config.budgets.overall.monthly_usd),
    rigDaily: usdToMicro(config.budgets.per_rig.daily_usd),
    rigMonthly: usdToMicro(config.budgets.per_rig.monthly_usd),
  });
  // Once per start: a model near its retirement is still served, but whoever reads the journal learns the date.
  for (const soon of modelLifecycle(
    config.prices,
    config.models.allowed,
    new Date(runtime.now()).toISOString().slice(0, 10),
  ).retiring) {
    logger.warn(
      { model: soon.model, retires_on: soon.retiresOn, days_left: soon.daysLeft },
      `model ${soon.model} retires on ${soon.retiresOn}`,
    );
  }
  const orphans = ledger.settleOrphans(runtime.now());
  if (orphans > 0) logger.warn({ orphans }, 'settled reservations left by an interrupted run at their worst-case cost');

  const egress = createEgress(config.upstream.base_url, options.upstreamDispatcher);
  const client = createAnthropicClient({
    apiKey: options.apiKey,
    baseUrl: config.upstream.base_url,
    timeoutMs: config.upstream.timeout_ms,
    fetch: egress.fetch,
    logger,
  });
  const gate = new UpstreamGate(config.upstream.max_concurrency, config.upstream.max_wait_ms, runtime);
  const store = new EscalationStore(db);
  const rigActive = (rigId: string): boolean => registry.findActive(rigId) !== undefined;
  const service = new EscalationService({
    config,
    store,
    ledger,
    audit,
    gate,
    client,
    logger,
    runtime,
    randomBytes,
    atomically,
    rigActive,
  });
  const rigLimiter = new RigLimiter(
    {
      concurrency: config.rate_limits.per_rig.concurrency,
      requestsPerMinute: config.rate_limits.per_rig.requests_per_minute,
      queue: config.rate_limits.per_rig.queue,
    },
    runtime,
  );
  const outbox = new OutboxWorker(store, service, registry, logger, runtime, {
    pollMs: config.outbox.poll_ms,
    batch: config.outbox.batch,
    leaseMs: config.outbox.lease_ms,
  });
  const refusals = new RefusalThrottle({
    perMinute: config.auth.refusals_recorded_per_minute,
    maxAddresses: 4_096,
    runtime,
    onSuppressed: ({ address, count, from, to }) => {
      const window = { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
      try {
        audit.append('request_refused', 'unauthenticated', { code: 'refusals_suppressed', address, count, ...window });
      } catch (error) {
        // From a timer: a ledger failure here must not take the process down; the log still has the count.
        logger.error({ err: error }, 'could not audit suppressed refusals');
      }
      logger.warn({ address, count, ...window }, 'refusals counted, not recorded one by one');
    },
  });
  const refusalFlush = setInterval(() => refusals.flush(), 60_000);
  refusalFlush.unref();
  // The whole audit chain once, here, before serving: reports then read only what was appended since.
  const auditChain = new AuditChainCheck(db);
  const chain = auditChain.check();
  if (!chain.ok)
    logger.error(
      { seq: chain.seq, code: chain.code, reason: chain.message },
      'audit chain broken: run rigmind-gateway audit verify',
    );
  const app = createApp({
    config,
    store,
    service,
    rigLimiter,
    audit,
    logger,
    runtime,
    randomBytes,
    db,
    registry,
    nonces,
    atomically,
    refusals,
    auditChain,
    maxSkewMs: config.auth.max_skew_ms,
    bodyLimitBytes: config.body_limit_bytes,
  });

  let closed = false;
  return {
    app,
    db,
    config,
    registry,
    audit,
    ledger,
    store,
    outbox,
    egress,
    logger,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(refusalFlush);
      refusals.flush(true);
      await outbox.stop();
      await rigLimiter.stop();
      await gate.stop();
      await egress.close();
      await checkpointer?.stop();
      db.close();
    },
  };
}
