// The cleaned path's fast decode of one record: a single pass over the record's UTF-8 bytes that
// checks the whole text is JSON (as JSON.parse would) but builds only the nine cleaned fields,
// skipping everything else (a Punk API beer is ~1.9 KB, mostly `method` and `ingredients`, which
// JSON.parse would turn into objects and strings only to drop them). Anything it does not take on
// (the record is not a JSON object, a cleaned field holds an object or array, a key has an escape,
// nesting deeper than MAX_DEPTH, any syntax error) is left to the exact path, JSON.parse, so what
// a bad record is rejected for does not change. lib/beerScan.test.ts holds the two paths equal.

/** The fields cleanBeer reads; a scanned value is a number, a string, null or a boolean. */
export type ScannedBeer = Record<string, number | string | boolean | null>;

const WANTED = new Set(['id', 'name', 'abv', 'ibu', 'target_fg', 'target_og', 'ebc', 'srm', 'ph']);
const MAX_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Thrown inside the scan when the exact path must decide; caught in scanBeer. */
class NotScanned extends Error {}
const bail = (): never => {
  throw new NotScanned();
};

/** Bytes known to be ASCII (a key, a number) as a string. */
function ascii(b: Uint8Array, from: number, to: number): string {
  let text = '';
  for (let k = from; k < to; k += 1) text += String.fromCharCode(b[k] as number);
  return text;
}

/** Scans the record: the nine fields found in it (absent ones left out), or undefined for the exact path. */
export function scanBeer(bytes: Uint8Array): ScannedBeer | undefined {
  try {
    return scan(bytes);
  } catch (error) {
    if (error instanceof NotScanned) return undefined;
    throw error;
  }
}

function scan(b: Uint8Array): ScannedBeer {
  const n = b.length;
  // Strings are decoded as the exact path decodes the whole record (bad UTF-8 becomes U+FFFD).
  const buffer = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  let i = 0;

  const space = () => {
    while (i < n) {
      const c = b[i] as number;
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i += 1;
      else return;
    }
  };

  /** Skips a string whose opening quote is at i; returns whether it held an escape. */
  const string = (): boolean => {
    i += 1;
    let escaped = false;
    for (;;) {
      if (i >= n) bail();
      const c = b[i] as number;
      if (c === QUOTE) {
        i += 1;
        return escaped;
      }
      if (c < 0x20) bail();
      if (c === BACKSLASH) {
        escaped = true;
        const e = b[i + 1];
        if (e === 0x75) {
          // \uXXXX
          for (let k = 2; k < 6; k += 1) {
            const h = b[i + k] ?? 0;
            const hex = (h >= 0x30 && h <= 0x39) || (h >= 0x41 && h <= 0x46) || (h >= 0x61 && h <= 0x66);
            if (!hex) bail();
          }
          i += 6;
        } else if (
          e === QUOTE ||
          e === BACKSLASH ||
          e === 0x2f ||
          e === 0x62 ||
          e === 0x66 ||
          e === 0x6e ||
          e === 0x72 ||
          e === 0x74
        ) {
          i += 2;
        } else bail();
      } else i += 1;
    }
  };

  const digits = (): number => {
    const from = i;
    while (i < n && (b[i] as number) >= 0x30 && (b[i] as number) <= 0x39) i += 1;
    return i - from;
  };

  /** Skips a number at i, by JSON's grammar. */
  const number = () => {
    if (b[i] === 0x2d) i += 1;
    if (b[i] === 0x30) i += 1;
    else if (digits() === 0) bail();
    if (b[i] === 0x2e) {
      i += 1;
      if (digits() === 0) bail();
    }
    if (b[i] === 0x65 || b[i] === 0x45) {
      i += 1;
      if (b[i] === 0x2b || b[i] === 0x2d) i += 1;
      if (digits() === 0) bail();
    }
  };

  const literal = (text: string) => {
    for (let k = 0; k < text.length; k += 1) if (b[i + k] !== text.charCodeAt(k)) bail();
    i += text.length;
  };

  /** Skips any value at i (after whitespace), checking it. */
  const skip = (depth: number) => {
    space();
    const c = b[i];
    if (c === QUOTE) string();
    else if (c === 0x7b || c === 0x5b) {
      if (depth >= MAX_DEPTH) bail();
      const object = c === 0x7b;
      const close = object ? 0x7d : 0x5d;
      i += 1;
      space();
      if (b[i] === close) {
        i += 1;
        return;
      }
      for (;;) {
        if (object) {
          space();
          if (b[i] !== QUOTE) bail();
          string();
          space();
          if (b[i] !== 0x3a) bail();
          i += 1;
        }
        skip(depth + 1);
        space();
        if (b[i] === 0x2c) i += 1;
        else if (b[i] === close) {
          i += 1;
          return;
        } else bail();
      }
    } else if (c === 0x74) literal('true');
    else if (c === 0x66) literal('false');
    else if (c === 0x6e) literal('null');
    else if (c === 0x2d || (c !== undefined && c >= 0x30 && c <= 0x39)) number();
    else bail();
  };

  /** A wanted field's value at i: decoded if it is a scalar; an object or array goes to the exact path. */
  const scalar = (): number | string | boolean | null => {
    space();
    const c = b[i];
    const from = i;
    if (c === QUOTE) {
      const escaped = string();
      return escaped
        ? (JSON.parse(buffer.toString('utf8', from, i)) as string)
        : buffer.toString('utf8', from + 1, i - 1);
    }
    if (c === 0x74) {
      literal('true');
      return true;
    }
    if (c === 0x66) {
      literal('false');
      return false;
    }
    if (c === 0x6e) {
      literal('null');
      return null;
    }
    number();
    // JSON's number text is also JavaScript's, converted the same way JSON.parse does.
    return Number(ascii(b, from, i));
  };

  const found: ScannedBeer = {};
  space();
  if (b[i] !== 0x7b) bail();
  i += 1;
  space();
  if (b[i] === 0x7d) i += 1;
  else {
    for (;;) {
      space();
      if (b[i] !== QUOTE) bail();
      const keyFrom = i + 1;
      if (string()) bail(); // an escaped key could spell a wanted name
      const keyLength = i - 1 - keyFrom;
      // No wanted name is longer than nine bytes.
      const key = keyLength <= 9 ? ascii(b, keyFrom, i - 1) : '';
      space();
      if (b[i] !== 0x3a) bail();
      i += 1;
      // The last of duplicate keys wins, as in JSON.parse.
      if (WANTED.has(key)) found[key] = scalar();
      else skip(1);
      space();
      if (b[i] === 0x2c) i += 1;
      else if (b[i] === 0x7d) {
        i += 1;
        break;
      } else bail();
    }
  }
  space();
  if (i !== n) bail();
  return found;
}
