import { Base64VectorBytes } from '@gateway/contracts';

/** Strings at least this long are read as bytes (a base64 vector is thousands of characters; every other field is short). */
const LONG_STRING_BYTES = 128;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** An answer parsed with its long strings left as bytes: in `answer` each one is a placeholder that `bytesOf` maps back. */
export interface AnswerWithBytes {
  answer: unknown;
  /** How many strings were put aside as bytes. */
  count: number;
  /** The bytes of a placeholder's string (between its quotes, checked printable ASCII), or undefined for any other value. */
  bytesOf: (value: unknown) => Base64VectorBytes | undefined;
}

/**
 * Whether every byte of `bytes[start, end)` is printable ASCII (0x20–0x7f), four at a time with bit operations only:
 * a byte is ASCII when its top bit is clear, and an ASCII byte is below 0x20 exactly when its bits 0x60 are both
 * clear (bit 0x40 is moved onto bit 0x20 of the same byte to test both at once).
 */
function printableAscii(bytes: Buffer, start: number, end: number): boolean {
  let at = start;
  while (at < end && (bytes.byteOffset + at) % 4 !== 0) {
    const byte = bytes[at]!;
    if (byte < 0x20 || byte > 0x7f) return false;
    at += 1;
  }
  const words = Math.floor((end - at) / 4);
  if (words > 0) {
    const view = new Int32Array(bytes.buffer, bytes.byteOffset + at, words);
    let anyTopBit = 0;
    let allPrintable = -1;
    for (let index = 0; index < words; index += 1) {
      const word = view[index]!;
      const high = word & 0x60606060;
      anyTopBit |= word;
      allPrintable &= high | (high >>> 1);
    }
    if ((anyTopBit & 0x80808080) !== 0 || (allPrintable & 0x20202020) !== 0x20202020) return false;
    at += words * 4;
  }
  for (; at < end; at += 1) {
    const byte = bytes[at]!;
    if (byte < 0x20 || byte > 0x7f) return false;
  }
  return true;
}

/**
 * Parses a JSON answer without decoding its long strings (the base64 vectors of an embeddings answer, ~8 KB each):
 * with no backslash anywhere in the body, every quote opens or closes a string, so the strings are found by
 * searching quotes (natively); each long one is put aside as bytes and replaced by a short placeholder, and the rest,
 * a few KB, is parsed by JSON.parse (which checks it is JSON). A placeholder holds an escaped control character, which
 * the body (no backslash) cannot hold, so no string of the answer is mistaken for one. Undefined when this reading
 * does not apply (a backslash, an odd quote, a long string that is not printable ASCII, or not JSON): the caller then
 * parses the whole text, as before.
 */
export function parseWithLongStringsAsBytes(bytes: Buffer): AnswerWithBytes | undefined {
  if (bytes.indexOf(BACKSLASH) !== -1) return undefined;
  const pieces: string[] = [];
  const kept: Base64VectorBytes[] = [];
  let copiedTo = 0;
  let open = bytes.indexOf(QUOTE);
  while (open !== -1) {
    const close = bytes.indexOf(QUOTE, open + 1);
    if (close === -1) return undefined;
    if (close - open - 1 >= LONG_STRING_BYTES) {
      if (!printableAscii(bytes, open + 1, close)) return undefined;
      pieces.push(bytes.toString('utf8', copiedTo, open), `"\\u0000${kept.length}"`);
      kept.push(new Base64VectorBytes(bytes.subarray(open + 1, close)));
      copiedTo = close + 1;
    }
    open = bytes.indexOf(QUOTE, close + 1);
  }
  pieces.push(bytes.toString('utf8', copiedTo));
  let answer: unknown;
  try {
    answer = JSON.parse(pieces.join(''));
  } catch {
    return undefined;
  }
  const bytesOf = (value: unknown) => (typeof value === 'string' && value.charCodeAt(0) === 0 ? kept[Number(value.slice(1))] : undefined);
  return { answer, count: kept.length, bytesOf };
}
