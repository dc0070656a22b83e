import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parsePlanText, type PlanFormat, type PlanParseResult } from './parse-plan.js';

const FORMATS: Readonly<Record<string, PlanFormat>> = { '.json': 'json', '.yaml': 'yaml', '.yml': 'yaml', '.md': 'md', '.markdown': 'md' };

/** The plan format a file name implies, if any. */
export function planFormatOf(path: string): PlanFormat | undefined {
  return FORMATS[extname(path).toLowerCase()];
}

/** Read and parse a plan file; an unknown extension or an unreadable file is an issue naming the path. */
export async function loadPlanFile(path: string): Promise<PlanParseResult> {
  const format = planFormatOf(path);
  if (format === undefined) {
    const message = `cannot tell the plan format of '${path}': use .json, .yaml, .yml or .md`;
    return { ok: false, issues: [{ code: 'unknown_format', path: '(root)', message, file: path }] };
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    return { ok: false, issues: [{ code: 'unreadable_file', path: '(root)', message: `cannot read '${path}' (${reason})`, file: path }] };
  }
  return parsePlanText(text, format, path);
}
