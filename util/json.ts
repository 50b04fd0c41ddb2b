/**
 * Strict JSON: `JSON.parse` keeps the last of duplicate keys silently, so an edited file can say
 * two things at once. `findDuplicateKey` scans valid JSON text for an object with a key twice.
 *
 * @module
 */

interface Frame {
  array: boolean;
  path: string;
  keys: Set<string>;
  expectKey: boolean;
  lastKey: string;
  index: number;
}

function childPath(frame: Frame | undefined): string {
  if (!frame) return "";
  if (frame.array) return `${frame.path}[${frame.index}]`;
  return frame.path ? `${frame.path}.${frame.lastKey}` : frame.lastKey;
}

/** End index (inclusive) of the string literal that starts at `start` (a quote). */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  for (;;) {
    const quote = text.indexOf('"', i);
    if (quote < 0) return text.length - 1;
    let slashes = 0;
    while (text[quote - 1 - slashes] === "\\") slashes++;
    if (slashes % 2 === 0) return quote;
    i = quote + 1;
  }
}

/**
 * The first duplicate key of an object in `text` (which must be valid JSON), with the path of
 * the object that holds it ("" for the top level), or undefined when every key is unique.
 */
export function findDuplicateKey(text: string): { key: string; path: string } | undefined {
  const stack: Frame[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const end = stringEnd(text, i);
      const top = stack[stack.length - 1];
      if (top && !top.array && top.expectKey) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (top.keys.has(key)) return { key, path: top.path };
        top.keys.add(key);
        top.lastKey = key;
        top.expectKey = false;
      }
      i = end;
    } else if (c === "{" || c === "[") {
      const path = childPath(stack[stack.length - 1]);
      stack.push({
        array: c === "[",
        path,
        keys: new Set(),
        expectKey: true,
        lastKey: "",
        index: 0,
      });
    } else if (c === "}" || c === "]") {
      stack.pop();
    } else if (c === ",") {
      const top = stack[stack.length - 1];
      if (top?.array) top.index++;
      else if (top) top.expectKey = true;
    }
  }
  return undefined;
}
