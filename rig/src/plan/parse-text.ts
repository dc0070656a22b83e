import { LineCounter, parseDocument } from 'yaml';
import { addYamlLines, jsonLineMap, lineAtOffset, lineStartsOf } from './line-maps.js';
import { ok } from '@rigmind/protocol';
import { makeIssue, type IssueContext, type PlanIssue } from './plan-issue.js';
import { planFailure, type PlanResult } from './plan-result.js';

/**
 * A document read into plain data with the line of every path. `issues` are problems that spoiled only part of
 * the document (one plan.md block), so the rest is still checked.
 */
export interface RawDocument {
  readonly raw: unknown;
  readonly lines: Map<string, number>;
  readonly issues?: PlanIssue[];
}

/** A document read into plain data, or the syntax errors that stopped it (`unparsable`). */
export type RawParse = PlanResult<RawDocument, 'unparsable'>;

const syntaxIssue = (context: IssueContext, message: string, line: number | undefined): PlanIssue => {
  const issue = makeIssue(context, { code: 'parse_error', path: '(root)', message });
  return line === undefined ? issue : { ...issue, line };
};

/** Parse JSON text; a syntax error is an issue at its line. */
export function parseJsonText(source: string, context: IssueContext = {}): RawParse {
  // Editors on Windows write a byte-order mark that JSON.parse rejects; it is not the user's mistake.
  const text = source.startsWith('\uFEFF') ? source.slice(1) : source;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    return planFailure('unparsable', [
      syntaxIssue(context, `not valid JSON: ${message}`, jsonErrorLine(text, message)),
    ]);
  }
  return ok({ raw, lines: jsonLineMap(text) });
}

function jsonErrorLine(text: string, message: string): number | undefined {
  const line = /\(line (\d+) column \d+\)/.exec(message);
  if (line) return Number(line[1]);
  const position = /at position (\d+)/.exec(message);
  if (position) return lineAtOffset(lineStartsOf(text), Number(position[1]));
  return undefined;
}

/**
 * Parse one YAML document; every syntax error is an issue at its line. `lineOffset` and `prefix` place
 * YAML that is part of a larger file (a plan.md block) at its real lines and paths.
 */
export function parseYamlText(text: string, context: IssueContext = {}, lineOffset = 0, prefix = ''): RawParse {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return planFailure(
      'unparsable',
      doc.errors.map((error) =>
        syntaxIssue(
          context,
          `not valid YAML: ${error.message.split('\n')[0] ?? error.code}`,
          counter.linePos(error.pos[0]).line + lineOffset,
        ),
      ),
    );
  }
  let raw: unknown;
  try {
    // toJS throws on alias bombs; that is bad input, so it becomes an issue.
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return planFailure('unparsable', [
      syntaxIssue(context, `not valid YAML: ${(error as Error).message}`, lineOffset + 1),
    ]);
  }
  const lines = new Map<string, number>();
  if (doc.contents?.range)
    lines.set(prefix === '' ? '(root)' : prefix, counter.linePos(doc.contents.range[0]).line + lineOffset);
  addYamlLines(lines, doc.contents, prefix, counter, lineOffset);
  return ok({ raw, lines });
}
