/**
 * Look-alike folding for spotlighting: a view of a text in which every character that can pass for another
 * (full-width and small forms, modifier and math brackets, Cyrillic and Greek letters, invisible characters)
 * stands as the ASCII it imitates, with a map back to the original. No I/O.
 */

// NFKC folds full-width (U+FF1C) and small (U+FE64) forms, but not these: they have no compatibility mapping,
// yet read as the ASCII beside them. Invisible characters fold to nothing, so they cannot split a tag name.
const BEYOND_NFKC: ReadonlyMap<string, string> = new Map([
  ...[...'‹〈〈⟨❮❬˂ᐸ⧼'].map((c) => [c, '<'] as const),
  ...[...'›〉〉⟩❯❭˃ᐳ⧽'].map((c) => [c, '>'] as const),
  ...[...'∕⁄⧸╱⟋'].map((c) => [c, '/'] as const),
  ...[...'ˍ‗'].map((c) => [c, '_'] as const),
  ...[...'‐‑‒–—―−'].map((c) => [c, '-'] as const),
  ...[...'\u00ad\u200b\u200c\u200d\u2060\ufeff\u180e'].map((c) => [c, ''] as const),
  // Cyrillic and Greek letters drawn like Latin ones.
  ...Object.entries({
    а: 'a',
    е: 'e',
    о: 'o',
    р: 'p',
    с: 'c',
    у: 'y',
    х: 'x',
    і: 'i',
    ѕ: 's',
    ј: 'j',
    ԁ: 'd',
    ո: 'n',
    ս: 'u',
    А: 'A',
    В: 'B',
    Е: 'E',
    К: 'K',
    М: 'M',
    Н: 'H',
    О: 'O',
    Р: 'P',
    С: 'C',
    Т: 'T',
    Х: 'X',
    Ѕ: 'S',
    І: 'I',
    α: 'a',
    ο: 'o',
    ι: 'i',
    τ: 't',
    υ: 'u',
    ν: 'v',
    ρ: 'p',
    Α: 'A',
    Ε: 'E',
    Ι: 'I',
    Ο: 'O',
    Τ: 'T',
    Υ: 'Y',
  }),
]);

/** A folded text and, for each of its UTF-16 units (and its end), the offset in the original it came from. */
export interface FoldedView {
  readonly folded: string;
  readonly origin: readonly number[];
}

const PLAIN_ASCII = /^\p{ASCII}*$/u;

// One character as a reader could take it: NFKC, then what NFKC leaves. Memoised per call in `seen`, since a text
// repeats few distinct characters (halves the time on 200k characters of prose).
function foldChar(char: string, seen: Map<string, string>): string {
  let out = seen.get(char);
  if (out === undefined) {
    const nfkc = char.normalize('NFKC');
    out = BEYOND_NFKC.get(nfkc) ?? BEYOND_NFKC.get(char) ?? nfkc;
    seen.set(char, out);
  }
  return out;
}

/**
 * Just the folded text, or undefined when nothing folds: cheap enough to ask of every text, so the offset map
 * ({@link foldLookAlikes}) is built only for the rare text whose folded form imitates something.
 */
export function foldText(text: string): string | undefined {
  if (PLAIN_ASCII.test(text)) return undefined;
  const seen = new Map<string, string>();
  let folded = '';
  let changed = false;
  for (const char of text) {
    const out = foldChar(char, seen);
    if (out !== char) changed = true;
    folded += out;
  }
  return changed ? folded : undefined;
}

/**
 * The folded view of `text`, or undefined when nothing in it folds (all ASCII: the common case, checked in one
 * scan). Each character folds on its own (NFKC, then the table above), so offsets map back exactly.
 */
export function foldLookAlikes(text: string): FoldedView | undefined {
  if (PLAIN_ASCII.test(text)) return undefined;
  const seen = new Map<string, string>();
  let folded = '';
  const origin: number[] = [];
  let offset = 0;
  let changed = false;
  for (const char of text) {
    const out = foldChar(char, seen);
    if (out !== char) changed = true;
    folded += out;
    for (let unit = 0; unit < out.length; unit += 1) origin.push(offset);
    offset += char.length;
  }
  origin.push(offset);
  return changed ? { folded, origin } : undefined;
}
