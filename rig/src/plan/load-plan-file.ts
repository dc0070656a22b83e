import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { firstInvalidUtf8 } from '@rigmind/protocol';
import { parsePlanText, type PlanFormat, type PlanParseResult } from './parse-plan.js';
import type { PlanIssue } from './plan-issue.js';
import { planFailure } from './plan-result.js';

const FORMATS: Readonly<Record<string, PlanFormat>> = {
  '.json': 'json',
  '.yaml': 'yaml',
  '.yml': 'yaml',
  '.md': 'md',
  '.markdown': 'md',
};

/** The plan format a file name implies, if any. */
export function planFormatOf(path: string): PlanFormat | undefined {
  return FORMATS[extname(path).toLowerCase()];
}

/** Read and parse a plan file; an unknown extension or an unreadable file is an issue naming the path. */
export async function loadPlanFile(path: string): Promise<PlanParseResult> {
  const format = planFormatOf(path);
  if (format === undefined) {
    const message = `cannot tell the plan format of '${path}': use .json, .yaml, .yml or .md`;
    return planFailure('unknown_format', [{ code: 'unknown_format', path: '(root)', message, file: path }]);
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    return planFailure('unreadable', [
      { code: 'unreadable_file', path: '(root)', message: `cannot read '${path}' (${reason})`, file: path },
    ]);
  }
  // A lenient decode would turn each bad byte into U+FFFD and run a command nobody wrote: refuse, saying where.
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0) return planFailure('invalid_utf8', [invalidUtf8(bytes, bad, path)]);
  return parsePlanText(bytes.toString('utf8'), format, path);
}

/** The issue for a file whose byte at `offset` is not UTF-8: its line, and its byte in the file and in the line. */
function invalidUtf8(bytes: Buffer, offset: number, path: string): PlanIssue {
  let line = 1;
  let lineStart = 0;
  for (let i = bytes.indexOf(0x0a); i >= 0 && i < offset; i = bytes.indexOf(0x0a, i + 1)) {
    line += 1;
    lineStart = i + 1;
  }
  const byte = bytes[offset]?.toString(16).padStart(2, '0') ?? '';
  const message =
    `not valid UTF-8: byte 0x${byte} at byte offset ${offset} (byte ${offset - lineStart + 1} of line ` +
    `${line}); save the file as UTF-8`;
  return { code: 'invalid_utf8', path: '(root)', message, line, file: path };
}
