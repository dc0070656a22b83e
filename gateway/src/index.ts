/**
 * @rigmind/gateway: the Raspberry Pi gateway, the rig's only egress to Claude. It authenticates, validates,
 * rate-limits, sanitizes, budgets, ledgers and audits escalations.
 */
export { GatewayConfigSchema, type GatewayConfig, type GatewayConfigInput } from './config/config-schema.js';
export { GatewayEnvSchema, gatewayEnv, resolveGatewayHome, type GatewayEnv } from './config/env.js';
export { DEFAULT_CONFIG } from './config/default-config.js';
export {
  loadConfig,
  parseConfig,
  resolveApiKey,
  type ConfigProblem,
  type ConfigResult,
  type ConfigErrorCode,
  type ApiKeyResult,
} from './config/load-config.js';
export {
  PriceTableSchema,
  ModelPriceSchema,
  priceFor,
  costMicroUsd,
  microToUsd,
  usdToMicro,
  type PriceTable,
  type ModelPrice,
  type TokenUsage,
} from './config/prices.js';
export { createGateway, type Gateway, type GatewayOptions } from './gateway.js';
export { listenGateway, type RunningGateway } from './server.js';
export { createGatewayLogger, type GatewayLogger, type GatewayLoggerOptions } from './log/logger.js';
export { openGatewayDb, GatewayDbError, type Db } from './store/open-db.js';
export {
  startCheckpointer,
  BACKSTOP_AUTOCHECKPOINT_PAGES,
  type Checkpointer,
  type CheckpointerOptions,
} from './store/checkpointer.js';
export {
  RigRegistry,
  type RigSummary,
  type RigCredential,
  type AddRigResult,
  type RotateRigResult,
} from './auth/rig-registry.js';
export { verifySignedRequest, type AuthErrorCode, type AuthResult } from './auth/verify-request.js';
export {
  AuditLog,
  verifyAudit,
  hashRecord,
  GENESIS_HASH,
  type AuditRecord,
  type AuditKind,
  type AuditVerification,
  type AuditHead,
  type AuditBreakCode,
} from './audit/audit-log.js';
export { AuditChainCheck, type ChainCheck } from './audit/chain-check.js';
export { pooledRandomBytes } from './crypto/random-pool.js';
export { RefusalThrottle, type RefusalThrottleOptions, type SuppressedRefusals } from './audit/refusal-throttle.js';
export {
  Ledger,
  budgetWindows,
  type BudgetCaps,
  type LedgerEntry,
  type Reservation,
  type ReserveResult,
} from './budget/ledger.js';
export { estimateInputTokens } from './escalation/metered-call.js';
export { buildAdvicePrompt, repairTurn, type AdvicePrompt } from './advice/advice-prompt.js';
export {
  ADVICE_TOOL,
  ADVICE_TOOL_NAME,
  adviceFromToolInput,
  type ToolAdvice,
  type ToolAdviceCode,
  type ToolDeclaration,
} from './advice/advice-tool.js';
export { createEgress, originGuard, EgressRefusedError, type Egress, type EgressFetch } from './upstream/egress.js';
export { FastLaneLimiter, yieldWithoutTimerClamp } from './limits/bottleneck-tuning.js';
export { UpstreamGate, parseRetryAfterMs, isThrottled } from './upstream/upstream-gate.js';
export { retryLoop, backoffMs, type RetryPolicy, type RetryOutcome, type Try } from './upstream/retry-loop.js';
export { costReport, costReportCsv, type ReportScope } from './reports/cost-report.js';
export { auditReport } from './reports/audit-report.js';
export {
  CostReportQuerySchema,
  CostReportSchema,
  CostRowSchema,
  AuditReportQuerySchema,
  AuditReportSchema,
  type CostReport,
  type CostRow,
  type AuditReport,
} from './reports/report-schemas.js';
export { ErrorBodySchema, type ErrorBody, type GatewayErrorCode } from './http/error-body.js';
export { buildOpenApi, renderOpenApi } from './http/openapi.js';
