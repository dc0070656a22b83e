/**
 * Redaction of secrets and personal data. The gateway runs it on every string before it leaves or is stored (ledger,
 * audit, logs); the rig runs it on a hand-off before it is written out. One rule for both, so they cannot disagree.
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
 * Every pattern is global; none can match its own replacement text. Every repetition has an upper bound, so no
 * input can make a pattern backtrack without end (a test checks the sources). A pattern too long for one line is
 * built with `new RegExp` from pieces (String.raw keeps each backslash as written in a literal).
 */
export const REDACTION_RULES: readonly RedactionRule[] = [
  // A truncated excerpt may cut a key block before its END line, so an unterminated block runs to the end.
  // PEM (RSA, EC, PKCS#8, ENCRYPTED), OpenSSH and PGP blocks alike; 64 KiB covers any real key.
  {
    kind: 'private_key',
    pattern: new RegExp(
      String.raw`-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----[\s\S]{0,65536}?` +
        '(?:-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|$)',
      'g',
    ),
  },
  { kind: 'anthropic_key', pattern: /\bsk-ant-[A-Za-z0-9_-]{16,256}/g },
  { kind: 'openai_key', pattern: /\bsk-(?:proj-|svcacct-|admin-|live-|test-)?[A-Za-z0-9_-]{20,256}/g },
  { kind: 'huggingface_token', pattern: /\b(?:hf|api_org)_[A-Za-z0-9]{30,64}\b/g },
  { kind: 'gitlab_token', pattern: /\b(?:glpat|gldt|glrt|glptt|glcbt|gloas)-[A-Za-z0-9_-]{20,64}\b/g },
  { kind: 'stripe_key', pattern: /\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,128}\b/g },
  { kind: 'stripe_key', pattern: /\bwhsec_[A-Za-z0-9]{24,128}\b/g },
  { kind: 'aws_access_key', pattern: /\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b/g },
  {
    kind: 'aws_secret_key',
    pattern: new RegExp(
      String.raw`\b(aws_?secret_?(?:access_?)?key|secret_?access_?key)` +
        String.raw`(["']?[ \t]{0,8}[:=][ \t]{0,8}["']?)([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])`,
      'gi',
    ),
    group: 3,
  },
  { kind: 'azure_storage_key', pattern: /\b((?:Account|SharedAccess)Key=)([A-Za-z0-9+/]{20,128}={0,2})/gi, group: 2 },
  { kind: 'github_token', pattern: /\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,255}\b/g },
  { kind: 'github_token', pattern: /\bgithub_pat_[A-Za-z0-9_]{22,255}\b/g },
  { kind: 'slack_token', pattern: /\bxox[abposre]-[A-Za-z0-9-]{10,255}/g },
  {
    kind: 'slack_webhook',
    pattern: /https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9/_-]{1,255}/g,
  },
  { kind: 'google_api_key', pattern: /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g },
  { kind: 'jwt', pattern: /\beyJ[A-Za-z0-9_-]{5,4096}\.eyJ[A-Za-z0-9_-]{5,8192}\.[A-Za-z0-9_-]{0,4096}/g },
  { kind: 'bearer_token', pattern: /\b(Bearer[ \t]{1,8})([A-Za-z0-9._~+/-]{16,4096}={0,2})/g, group: 2 },
  {
    kind: 'url_password',
    pattern: /\b([a-z][a-z0-9+.-]{0,31}:\/\/[^\s:@/?#]{1,256}:)([^\s@/?#]{1,256})(@)/gi,
    group: 2,
  },
  // A `.env` line whose name has a secret word as one of its parts (DB_PASSWORD, HF_TOKEN, SECRET_KEY_BASE), not
  // merely inside a word (TOKENIZER_PARALLELISM, MONKEY). The lookbehind anchors at a line start without the m flag.
  {
    kind: 'env_secret',
    pattern: new RegExp(
      String.raw`(?<![^\n])([ \t]{0,8}(?:export[ \t]{1,8})?(?:[A-Za-z0-9]{1,40}_){0,6}` +
        '(?:SECRETS?|TOKEN|PASSWORD|PASSWD|PASS|PWD|PASSPHRASE|KEY|APIKEY|CREDENTIALS?)' +
        String.raw`(?:_[A-Za-z0-9]{1,40}){0,6}[ \t]{0,8}=[ \t]{0,8}["']?)([^\s"'#]{1,4096})`,
      'gi',
    ),
    group: 2,
  },
  {
    kind: 'password',
    pattern: new RegExp(
      String.raw`\b(password|passwd|pwd|passphrase|secret|client_secret|token|access_token|refresh_token|auth_token|` +
        String.raw`api_key|apikey|api-key)(["']?[ \t]{0,8}[:=][ \t]{0,8}["']?)([^\s"',;&]{3,4096})`,
      'gi',
    ),
    group: 3,
  },
  {
    kind: 'email',
    pattern: /\b[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}\b/g,
  },
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
    union =
      plain && rules.length > 0 ? new RegExp(rules.map((rule) => `(?:${rule.pattern.source})`).join('|'), 'i') : null;
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
