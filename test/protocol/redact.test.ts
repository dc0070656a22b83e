import { REDACTION_RULES, redactDeep, redactText } from '@rigmind/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SECRET_CORPUS } from '../fixtures/anthropic-secrets/secret-corpus.js';

describe('redactText', () => {
  it.each(SECRET_CORPUS.map((entry) => [entry.kind, entry] as const))('removes a %s', (_kind, entry) => {
    const result = redactText(entry.text);
    expect(result.text).not.toContain(entry.secret);
    expect(result.text).toContain('[REDACTED:');
  });

  it('names the kind it removed and keeps the text around it readable', () => {
    expect(redactText('password=hunter22 and more').text).toBe('password=[REDACTED:password] and more');
    expect(redactText('https://bob:pa55word@git.example.com/repo').text).toBe(
      'https://bob:[REDACTED:url_password]@git.example.com/repo',
    );
    expect(redactText('id AKIAIOSFODNN7EXAMPLE').kinds).toEqual(['aws_access_key']);
  });

  it.each([
    ['a Hugging Face model id', 'downloaded hf_hub/models--meta-llama--Llama-3-8B to /models'],
    ['a short hf_ name', 'set hf_transfer=1 and hf_home'],
    ['a GitHub-like word', 'ghp_short and github_pat_tooShort'],
    ['a GitLab word', 'glpat-short'],
    ['Stripe publishable key', 'pk_live_51H8aBcDeFgHiJkLmNoPqRsTuV is public'],
    ['a Slack-like word', 'xoxb-short'],
    ['a Google-like word', 'AIzaTooShort'],
    ['an AWS-like id of the wrong length', 'AKIA1234 and ASIAshort'],
    ['an Azure account name', 'AccountName=rigdata;EndpointSuffix=core.windows.net'],
    ['an sk- word', 'the sk-learn package, sk-ant-short'],
    ['a JWT-like word', 'eyJ.eyJ.x'],
    ['a URL with a user only', 'https://user@host/path and ftp://anonymous@mirror/pub'],
    [
      '.env names that only contain a secret word',
      'TOKENIZER_PARALLELISM=false\nMAX_KEYS=5\nMONKEY=1\nKEYBOARD=us\nPASSTHROUGH=1',
    ],
    [
      'a public key block',
      '-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----',
    ],
  ])('leaves a near miss alone: %s', (_what, text) => {
    expect(redactText(text)).toEqual({ text, kinds: [] });
  });

  it('bounds every repetition of every pattern, so no input makes one backtrack without end', () => {
    for (const rule of REDACTION_RULES) {
      // Strip escapes and classes, then look for an unbounded quantifier: +, * or {n,}.
      const source = rule.pattern.source.replace(/\\./g, 'x').replace(/\[[^\]]*\]/g, 'x');
      expect(source, `${rule.kind}: ${rule.pattern.source}`).not.toMatch(/[+*]|\{\d+,\}/);
    }
  });

  it('leaves ordinary rig text alone', () => {
    const ordinary =
      'max_tokens: 1024, tokens: 55, ran 2025-01-31 12:00 on gpu 3 at 192.168.1.100, exit 137, vram 6144 MB';
    expect(redactText(ordinary).text).toBe(ordinary);
  });

  it('is idempotent: redacting redacted text changes nothing', () => {
    fc.assert(
      fc.property(fc.string(), fc.constantFrom(...SECRET_CORPUS.map((entry) => entry.text)), (noise, secret) => {
        const once = redactText(`${noise} ${secret} ${noise}`).text;
        expect(redactText(once).text).toBe(once);
      }),
      { numRuns: 200 },
    );
  });

  it('gives the same result with its one-scan prefilter as rule by rule (property)', () => {
    // The dotAll flag disables the prefilter and changes nothing else: no rule has a '.' outside a class.
    const ruleByRule = REDACTION_RULES.map((rule) => ({
      ...rule,
      pattern: new RegExp(rule.pattern.source, `${rule.pattern.flags}s`),
    }));
    const pieces = fc.constantFrom(
      ...SECRET_CORPUS.map((entry) => entry.text),
      ...SECRET_CORPUS.map((entry) => entry.secret.slice(0, 12)),
      'PASSWORD: ',
      '@',
      '+',
      ' ',
      '\n',
      'İ',
      'x.y',
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), pieces), { maxLength: 8 }), (parts) => {
        const text = parts.join('');
        const fast = redactText(text);
        const slow = redactText(text, ruleByRule);
        expect(fast.text).toBe(slow.text);
        expect(fast.kinds).toEqual(slow.kinds);
      }),
      { numRuns: 500 },
    );
  });

  it('redacts every string in nested data and keeps keys', () => {
    const value = redactDeep({ a: ['mail me at a@b.io'], b: { password: 'x', note: 'token=abcdef1234' }, n: 3 });
    expect(value).toEqual({
      a: ['mail me at [REDACTED:email]'],
      b: { password: 'x', note: 'token=[REDACTED:password]' },
      n: 3,
    });
  });
});
