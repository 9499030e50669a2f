import { batchLineTooLong } from '@gateway/contracts';

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/**
 * Splits bytes into lines as they arrive (`\n` or `\r\n`), handing each complete line over with its 1-based number,
 * without ever joining the whole input: only the unfinished last line is kept between chunks. A line longer than
 * `maxLineBytes` is refused (413) as soon as it passes the bound.
 */
export function createLineSplitter(maxLineBytes: number, onLine: (line: Buffer, lineNumber: number) => void) {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let lineNumber = 0;
  const emit = (line: Buffer) => {
    lineNumber += 1;
    const end = line.length > 0 && line[line.length - 1] === CARRIAGE_RETURN ? line.length - 1 : line.length;
    onLine(line.subarray(0, end), lineNumber);
  };
  return {
    push(chunk: Buffer): void {
      let start = 0;
      for (let newline = chunk.indexOf(NEWLINE); newline !== -1; newline = chunk.indexOf(NEWLINE, start)) {
        const piece = chunk.subarray(start, newline);
        if (pendingBytes + piece.length > maxLineBytes) throw batchLineTooLong(lineNumber + 1, maxLineBytes);
        emit(pending.length > 0 ? Buffer.concat([...pending, piece]) : piece);
        pending = [];
        pendingBytes = 0;
        start = newline + 1;
      }
      if (start < chunk.length) {
        const rest = chunk.subarray(start);
        pendingBytes += rest.length;
        if (pendingBytes > maxLineBytes) throw batchLineTooLong(lineNumber + 1, maxLineBytes);
        // Copied: the chunk's buffer may be reused by the stream it came from.
        pending.push(Buffer.from(rest));
      }
    },
    end(): void {
      if (pendingBytes > 0) emit(Buffer.concat(pending));
      pending = [];
      pendingBytes = 0;
    },
  };
}
