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

// Each token reader below is a plain function of the bytes and a position that returns the
// position after what it read, or FAIL (negative) where the exact path must decide.
const FAIL = -1;

/** Bytes known to be ASCII (a key, a number) as a string. */
function ascii(b: Uint8Array, from: number, to: number): string {
  let text = '';
  for (let k = from; k < to; k += 1) text += String.fromCharCode(b[k] as number);
  return text;
}

function space(b: Uint8Array, i: number, n: number): number {
  while (i < n) {
    const c = b[i] as number;
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i += 1;
  }
  return i;
}

function isHex(h: number | undefined): boolean {
  return (
    h !== undefined && ((h >= 0x30 && h <= 0x39) || (h >= 0x41 && h <= 0x46) || (h >= 0x61 && h <= 0x66))
  );
}

/** Skips a string whose opening quote is at i, checking its escapes; the position after its closing quote. */
function string(b: Uint8Array, i: number, n: number): number {
  i += 1;
  while (i < n) {
    const c = b[i] as number;
    if (c === QUOTE) return i + 1;
    if (c === BACKSLASH) {
      const e = b[i + 1];
      if (e === 0x75) {
        // \uXXXX
        if (!isHex(b[i + 2]) || !isHex(b[i + 3]) || !isHex(b[i + 4]) || !isHex(b[i + 5])) return FAIL;
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
      )
        i += 2;
      else return FAIL;
    } else if (c < 0x20) return FAIL;
    else i += 1;
  }
  return FAIL;
}

/** Whether the bytes from..to hold a backslash (a string read by `string` had an escape). */
function hasEscape(b: Uint8Array, from: number, to: number): boolean {
  for (let k = from; k < to; k += 1) if (b[k] === BACKSLASH) return true;
  return false;
}

function digits(b: Uint8Array, i: number, n: number): number {
  while (i < n) {
    const c = b[i] as number;
    if (c < 0x30 || c > 0x39) return i;
    i += 1;
  }
  return i;
}

/** Skips a number at i, by JSON's grammar. */
function number(b: Uint8Array, i: number, n: number): number {
  if (b[i] === 0x2d) i += 1;
  if (b[i] === 0x30) i += 1;
  else {
    const to = digits(b, i, n);
    if (to === i) return FAIL;
    i = to;
  }
  if (b[i] === 0x2e) {
    const to = digits(b, i + 1, n);
    if (to === i + 1) return FAIL;
    i = to;
  }
  if (b[i] === 0x65 || b[i] === 0x45) {
    i += 1;
    if (b[i] === 0x2b || b[i] === 0x2d) i += 1;
    const to = digits(b, i, n);
    if (to === i) return FAIL;
    i = to;
  }
  return i;
}

function literal(b: Uint8Array, i: number, text: string): number {
  for (let k = 0; k < text.length; k += 1) if (b[i + k] !== text.charCodeAt(k)) return FAIL;
  return i + text.length;
}

const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/** What the scan expects next. */
const VALUE = 0;
const AFTER_VALUE = 1;
const KEY = 2;

/** The open containers' opening bytes, by depth (the scan is synchronous, so one is enough). */
const open = new Uint8Array(MAX_DEPTH + 1);

/**
 * Scans the record: the nine fields found in it (absent ones left out), or undefined for the exact
 * path. One loop over the bytes with the open containers on a small stack, not a recursive descent:
 * a Punk API beer is ~200 tokens, and a call per token cost more than the bytes.
 */
export function scanBeer(b: Uint8Array): ScannedBeer | undefined {
  const n = b.length;
  const found: ScannedBeer = {};
  let i = 0;
  let depth = 0;
  let state = VALUE;
  /** The top-level key whose value comes next, when it is one of the nine; '' otherwise. */
  let wanted = '';
  for (;;) {
    i = space(b, i, n);
    if (state === VALUE) {
      const from = i;
      const c = b[i];
      if (depth === 0 && c !== OPEN_OBJECT) return undefined; // the record is not a JSON object
      if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
        // A cleaned field holding a container is for the exact path to reject.
        if (wanted !== '' || depth >= MAX_DEPTH) return undefined;
        depth += 1;
        open[depth] = c;
        i = space(b, i + 1, n);
        if (b[i] === (c === OPEN_OBJECT ? CLOSE_OBJECT : CLOSE_ARRAY)) {
          i += 1;
          depth -= 1;
          state = AFTER_VALUE;
        } else state = c === OPEN_OBJECT ? KEY : VALUE;
        continue;
      }
      if (c === QUOTE) i = string(b, i, n);
      else if (c === 0x74) i = literal(b, i, 'true');
      else if (c === 0x66) i = literal(b, i, 'false');
      else if (c === 0x6e) i = literal(b, i, 'null');
      else if (c === 0x2d || (c !== undefined && c >= 0x30 && c <= 0x39)) i = number(b, i, n);
      else return undefined;
      if (i < 0) return undefined;
      if (wanted !== '') {
        // The last of duplicate keys wins, as in JSON.parse.
        found[wanted] = scalar(b, from, i);
        wanted = '';
      }
      state = AFTER_VALUE;
    } else if (state === AFTER_VALUE) {
      if (depth === 0) return i === n ? found : undefined;
      const container = open[depth];
      if (b[i] === 0x2c) {
        i += 1;
        state = container === OPEN_OBJECT ? KEY : VALUE;
      } else if (b[i] === (container === OPEN_OBJECT ? CLOSE_OBJECT : CLOSE_ARRAY)) {
        i += 1;
        depth -= 1;
      } else return undefined;
    } else {
      if (b[i] !== QUOTE) return undefined;
      const keyFrom = i + 1;
      i = string(b, i, n);
      if (i < 0) return undefined;
      if (depth === 1) {
        const keyTo = i - 1;
        // An escaped key could spell a wanted name. No wanted name is longer than nine bytes.
        if (hasEscape(b, keyFrom, keyTo)) return undefined;
        const key = keyTo - keyFrom <= 9 ? ascii(b, keyFrom, keyTo) : '';
        wanted = WANTED.has(key) ? key : '';
      }
      i = space(b, i, n);
      if (b[i] !== 0x3a) return undefined;
      i += 1;
      state = VALUE;
    }
  }
}

/** A wanted field's scalar value, from `from` to `to`, decoded as the exact path decodes it. */
function scalar(b: Uint8Array, from: number, to: number): number | string | boolean | null {
  const c = b[from];
  if (c === QUOTE) {
    // Strings are decoded as the exact path decodes the whole record (bad UTF-8 becomes U+FFFD).
    const buffer = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    return hasEscape(b, from + 1, to - 1)
      ? (JSON.parse(buffer.toString('utf8', from, to)) as string)
      : buffer.toString('utf8', from + 1, to - 1);
  }
  if (c === 0x74) return true;
  if (c === 0x66) return false;
  if (c === 0x6e) return null;
  // JSON's number text is also JavaScript's, converted the same way JSON.parse does.
  return Number(ascii(b, from, to));
}
