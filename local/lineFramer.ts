// A role's output, forwarded as bytes: each whole line gets the role's label in front, and every
// chunk read from the role's pipe leaves as one buffer (one write), not a string per line. A line
// is never split between two writes, so lines of different roles interleave whole. Nothing is
// decoded or parsed: a role's JSON line reaches the terminal or log driver byte for byte.

const NEWLINE = 0x0a;
/** A line this long without a newline is let out as it is rather than held without bound. */
export const MAX_HELD_BYTES = 1024 * 1024;

export interface LineFramer {
  /** The whole lines completed by this chunk, prefixed, or undefined when none is complete yet. */
  push(chunk: Buffer): Buffer | undefined;
  /** What is left of an unterminated last line, prefixed and ended with a newline. */
  end(): Buffer | undefined;
}

export function lineFramer(prefix: string): LineFramer {
  const label = Buffer.from(prefix);
  let held: Buffer | undefined;

  const frame = (data: Buffer, lines: number, through: number): Buffer => {
    const out = Buffer.allocUnsafe(through + lines * label.byteLength);
    let read = 0;
    let written = 0;
    while (read < through) {
      const newline = data.indexOf(NEWLINE, read);
      const stop = newline === -1 || newline >= through ? through : newline + 1;
      written += label.copy(out, written);
      written += data.copy(out, written, read, stop);
      read = stop;
    }
    return out;
  };

  return {
    push(chunk) {
      const data = held ? Buffer.concat([held, chunk]) : chunk;
      let lines = 0;
      let last = -1;
      // Only the new chunk can hold newlines: the held part had none.
      for (
        let at = data.indexOf(NEWLINE, held?.byteLength ?? 0);
        at !== -1;
        at = data.indexOf(NEWLINE, at + 1)
      ) {
        lines += 1;
        last = at;
      }
      if (lines === 0) {
        if (data.byteLength < MAX_HELD_BYTES) {
          held = data;
          return undefined;
        }
        held = undefined;
        return Buffer.concat([label, data, Buffer.from('\n')]);
      }
      held = last + 1 < data.byteLength ? data.subarray(last + 1) : undefined;
      return frame(data, lines, last + 1);
    },
    end() {
      if (!held) return undefined;
      const rest = held;
      held = undefined;
      return Buffer.concat([label, rest, Buffer.from('\n')]);
    },
  };
}
