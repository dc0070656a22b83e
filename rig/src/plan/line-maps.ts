import { isMap, isScalar, isSeq, type LineCounter, type Node } from 'yaml';

// Deeper nodes are simply not mapped: plans are shallow, and a hostile file must not blow the stack.
const MAX_DEPTH = 64;

/** The path of a child, written as `formatPath` from @rigmind/protocol writes it (`tasks[3].priority`). */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

/**
 * Record the line of every node under `node` in `into`, keyed by path below `prefix`.
 * A mapping's value is recorded at its key's line, so `priority: 11` points at that line.
 * `lineOffset` shifts lines for YAML embedded in a larger file (a plan.md block).
 */
export function addYamlLines(
  into: Map<string, number>,
  node: unknown,
  prefix: string,
  counter: LineCounter,
  lineOffset = 0,
  depth = 0,
): void {
  if (depth > MAX_DEPTH) return;
  const lineAt = (offset: number): number => counter.linePos(offset).line + lineOffset;
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? pair.key.value : pair.key;
      if (typeof key !== 'string' && typeof key !== 'number') continue;
      const path = childPath(prefix, String(key));
      const start = (pair.key as Node | null)?.range?.[0] ?? (pair.value as Node | null)?.range?.[0];
      if (start !== undefined && !into.has(path)) into.set(path, lineAt(start));
      addYamlLines(into, pair.value, path, counter, lineOffset, depth + 1);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, index) => {
      const path = childPath(prefix, index);
      const start = (item as Node | null)?.range?.[0];
      if (start !== undefined) into.set(path, lineAt(start));
      addYamlLines(into, item, path, counter, lineOffset, depth + 1);
    });
  }
}

/** 1-based line of a character offset, given the offsets where lines start. */
export function lineAtOffset(lineStarts: readonly number[], offset: number): number {
  let low = 0;
  let high = lineStarts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if ((lineStarts[mid] ?? 0) <= offset) low = mid;
    else high = mid - 1;
  }
  return low + 1;
}

/** Offsets where each line of `text` starts. */
export function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/**
 * Lines of every value in a JSON text that `JSON.parse` has already accepted, keyed by path.
 * A small scanner instead of a YAML parse: JSON allows what YAML refuses (duplicate keys), and it is fast.
 */
export function jsonLineMap(text: string): Map<string, number> {
  const starts = lineStartsOf(text);
  const lines = new Map<string, number>();
  let pos = 0;
  const skipSpace = (): void => {
    while (pos < text.length && ' \t\r\n\uFEFF'.includes(text.charAt(pos))) pos++;
  };
  const readString = (): string => {
    const begin = pos;
    pos++;
    while (pos < text.length && text.charAt(pos) !== '"') pos += text.charAt(pos) === '\\' ? 2 : 1;
    pos++;
    return JSON.parse(text.slice(begin, pos)) as string;
  };
  // An explicit stack keeps deep nesting from recursing.
  const stack: { path: string; kind: 'object' | 'array'; index: number }[] = [];
  const startValue = (path: string): void => {
    skipSpace();
    if (stack.length <= MAX_DEPTH) lines.set(path === '' ? '(root)' : path, lineAtOffset(starts, pos));
    const char = text.charAt(pos);
    if (char === '{' || char === '[') {
      stack.push({ path, kind: char === '{' ? 'object' : 'array', index: 0 });
      pos++;
    } else if (char === '"') readString();
    else while (pos < text.length && !',]}'.includes(text.charAt(pos))) pos++;
  };
  startValue('');
  while (stack.length > 0 && pos < text.length) {
    skipSpace();
    const top = stack[stack.length - 1]!;
    const char = text.charAt(pos);
    if (char === '}' || char === ']') {
      stack.pop();
      pos++;
    } else if (char === ',') pos++;
    else if (top.kind === 'object') {
      const key = readString();
      skipSpace();
      pos++; // the ':'
      startValue(childPath(top.path, key));
    } else startValue(childPath(top.path, top.index++));
  }
  return lines;
}
