import { batchLineTooLong, invalidRequest } from '@gateway/contracts';

/**
 * Splits JSONL as it arrives into values; names the first line that is not JSON (400), or longer than
 * `maxLineChars` (413, as soon as it passes). Only the new characters of a chunk are searched for line ends and a
 * line's pieces are joined once, so the time is linear in the body however long its lines.
 */
export function createJsonLinesScanner(onValue: (value: unknown) => void, maxLineChars = Number.POSITIVE_INFINITY) {
  let pieces: string[] = [];
  let pendingChars = 0;
  let line = 0;
  const hold = (piece: string) => {
    if (piece === '') return;
    pendingChars += piece.length;
    if (pendingChars > maxLineChars) throw batchLineTooLong(line + 1, maxLineChars);
    pieces.push(piece);
  };
  const take = () => {
    const text = pieces.length === 1 ? pieces[0]! : pieces.join('');
    pieces = [];
    pendingChars = 0;
    line += 1;
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw invalidRequest(`line ${line} is not valid JSON`);
    }
    onValue(value);
  };
  return {
    push(chunk: string): void {
      let from = 0;
      for (let newline = chunk.indexOf('\n'); newline !== -1; newline = chunk.indexOf('\n', from)) {
        hold(chunk.slice(from, newline));
        take();
        from = newline + 1;
      }
      hold(chunk.slice(from));
    },
    end(): void {
      take();
    },
  };
}
