// A strict check that a text is well-formed XML of the subset a hand-written SVG uses (elements, attributes, text,
// the five predefined entities and numeric references, an optional XML declaration and comments): the repository
// has no XML parser, and the SVG writer must not need one to be trusted.

/** The first well-formedness error in `text`, or undefined. */
export function xmlError(text: string): string | undefined {
  const stack: string[] = [];
  let roots = 0;
  let i = 0;
  const name = /^[A-Za-z_:][-A-Za-z0-9_:.]*/;
  const checkText = (chunk: string, at: number): string | undefined => {
    const bad = /&(?!(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)|</.exec(chunk);
    return bad === null ? undefined : `bad '${bad[0]}' at ${at + bad.index}`;
  };
  if (text.startsWith('<?xml')) i = text.indexOf('?>') + 2;
  while (i < text.length) {
    const open = text.indexOf('<', i);
    const chunk = text.slice(i, open < 0 ? text.length : open);
    if (stack.length === 0 && chunk.trim() !== '') return `text outside the root at ${i}`;
    const textError = checkText(chunk, i);
    if (textError !== undefined) return textError;
    if (open < 0) break;
    if (text.startsWith('<!--', open)) {
      const close = text.indexOf('-->', open);
      if (close < 0) return `unclosed comment at ${open}`;
      i = close + 3;
      continue;
    }
    const close = text.indexOf('>', open);
    if (close < 0) return `unclosed tag at ${open}`;
    const tag = text.slice(open + 1, close);
    if (tag.startsWith('/')) {
      const closing = tag.slice(1).trim();
      if (stack.pop() !== closing) return `</${closing}> at ${open} closes nothing open`;
    } else {
      const selfClosing = tag.endsWith('/');
      const body = selfClosing ? tag.slice(0, -1) : tag;
      const element = name.exec(body)?.[0];
      if (element === undefined) return `bad tag at ${open}`;
      let rest = body.slice(element.length);
      const seen = new Set<string>();
      while (rest.trim() !== '') {
        const attribute = /^\s+([A-Za-z_:][-A-Za-z0-9_:.]*)="([^"<]*)"/.exec(rest);
        if (attribute === null) return `bad attribute in <${element}> at ${open}: ${rest.slice(0, 30)}`;
        const [whole, key = '', value = ''] = attribute;
        if (seen.has(key)) return `attribute ${key} twice in <${element}> at ${open}`;
        seen.add(key);
        const valueError = checkText(value, open);
        if (valueError !== undefined) return valueError;
        rest = rest.slice(whole.length);
      }
      if (stack.length === 0) roots += 1;
      if (roots > 1) return `a second root element at ${open}`;
      if (!selfClosing) stack.push(element);
    }
    i = close + 1;
  }
  if (stack.length > 0) return `<${stack.join('> <')}> never closed`;
  return roots === 1 ? undefined : 'no root element';
}
