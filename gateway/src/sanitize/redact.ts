/**
 * Redaction of secrets and personal data. Runs on every string before it leaves the gateway or is stored
 * (ledger, audit, logs, outbox). No I/O and no gateway imports, so the rig can reuse it as it is.
 */

/** One kind of secret or personal data and how to find it. */
export interface RedactionRule {
  readonly kind: string;
  readonly pattern: RegExp;
  /** Which capture group is the secret; the whole match when absent. Text around the group is kept. */
  readonly group?: number;
}

const label = (kind: string): string => `[REDACTED:${kind}]`;

/**
 * Specific formats first, generic `key=value` and personal data last, so a token is named by its kind.
 * Every pattern is global; none can match its own replacement text.
 */
export const REDACTION_RULES: readonly RedactionRule[] = [
  // A truncated excerpt may cut a key block before its END line, so an unterminated block runs to the end.
  { kind: 'private_key', pattern: /-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|$)/g },
  { kind: 'anthropic_key', pattern: /\bsk-ant-[A-Za-z0-9_-]{16,}/g },
  { kind: 'openai_key', pattern: /\bsk-(?:proj-|svcacct-|admin-|live-|test-)?[A-Za-z0-9_-]{20,}/g },
  { kind: 'aws_access_key', pattern: /\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b/g },
  {
    kind: 'aws_secret_key',
    pattern: /\b(aws_?secret_?(?:access_?)?key|secret_?access_?key)(["']?\s*[:=]\s*["']?)([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/gi,
    group: 3,
  },
  { kind: 'github_token', pattern: /\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}\b/g },
  { kind: 'github_token', pattern: /\bgithub_pat_[A-Za-z0-9_]{22,}\b/g },
  { kind: 'slack_token', pattern: /\bxox[abposre]-[A-Za-z0-9-]{10,}/g },
  { kind: 'slack_webhook', pattern: /https:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9/_-]+/g },
  { kind: 'google_api_key', pattern: /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g },
  { kind: 'jwt', pattern: /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g },
  { kind: 'bearer_token', pattern: /\b(Bearer\s+)([A-Za-z0-9._~+/-]{16,}=*)/g, group: 2 },
  { kind: 'url_password', pattern: /\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/?#]+:)([^\s@/?#]+)(@)/gi, group: 2 },
  {
    kind: 'password',
    pattern:
      /\b(password|passwd|pwd|passphrase|secret|client_secret|token|access_token|refresh_token|auth_token|api_key|apikey|api-key)(["']?\s*[:=]\s*["']?)([^\s"',;&]{3,})/gi,
    group: 3,
  },
  { kind: 'email', pattern: /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b/g },
  { kind: 'phone', pattern: /(?<![\w.+])\+\d{10,15}\b/g },
  {
    kind: 'phone',
    pattern: /(?<![\w.+-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?|\d{2,4}[ .-])\d{3,4}[ .-]\d{3,4}(?![\w.-])/g,
  },
];

/** Redacted text and the kinds found in it (for audit: what was removed, never the value). */
export interface Redacted {
  readonly text: string;
  readonly kinds: readonly string[];
}

/** Replace every secret and personal datum in `text` with `[REDACTED:kind]`. */
export function redactText(text: string, rules: readonly RedactionRule[] = REDACTION_RULES): Redacted {
  // Most strings (ids, names, ordinary text) hold nothing to redact: one scan says so instead of one per rule.
  if (anyRuleMayMatch(rules)?.test(text) === false) return { text, kinds: [] };
  let out = text;
  const kinds = new Set<string>();
  for (const rule of rules) {
    out = out.replace(rule.pattern, (...args: unknown[]) => {
      kinds.add(rule.kind);
      const match = args[0] as string;
      if (rule.group === undefined) return label(rule.kind);
      // Rebuild from the groups so the text around the secret (the key name, the user name) stays readable.
      const groups = args.slice(1, 1 + countGroups(rule.pattern)) as (string | undefined)[];
      let rebuilt = '';
      groups.forEach((part, index) => {
        rebuilt += index + 1 === rule.group ? label(rule.kind) : (part ?? '');
      });
      return groups.length === 0 ? match : rebuilt;
    });
  }
  return { text: out, kinds: [...kinds] };
}

const prefilters = new WeakMap<readonly RedactionRule[], RegExp | null>();
/**
 * One pattern matching wherever any rule could: the rules' alternation, case-insensitive. Ignoring case only adds
 * matches, so a miss proves no rule matches. Rules with flags beyond g and i (multiline, dotAll, unicode) would
 * change what the union means, so such a list gets no prefilter.
 */
function anyRuleMayMatch(rules: readonly RedactionRule[]): RegExp | null {
  let union = prefilters.get(rules);
  if (union === undefined) {
    const plain = rules.every((rule) => /^[gi]*$/.test(rule.pattern.flags));
    union = plain && rules.length > 0 ? new RegExp(rules.map((rule) => `(?:${rule.pattern.source})`).join('|'), 'i') : null;
    prefilters.set(rules, union);
  }
  return union;
}

const groupCounts = new WeakMap<RegExp, number>();
function countGroups(pattern: RegExp): number {
  let count = groupCounts.get(pattern);
  if (count === undefined) {
    count = (new RegExp(`${pattern.source}|`).exec('')?.length ?? 1) - 1;
    groupCounts.set(pattern, count);
  }
  return count;
}

/** Redact every string inside a JSON-like value (object keys are kept). Returns a new value. */
export function redactDeep<T>(value: T, found: Set<string> = new Set()): T {
  if (typeof value === 'string') {
    const result = redactText(value);
    for (const kind of result.kinds) found.add(kind);
    return result.text as T;
  }
  if (Array.isArray(value)) return value.map((item: unknown) => redactDeep(item, found)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = redactDeep(item, found);
    return out as T;
  }
  return value;
}
