/** Pieces joined into the flat text at a time: a stream's text is then a few flat strings, not a rope of every token. */
const JOIN_EVERY = 64;

/**
 * The text a stream has sent its client, kept exactly (its end is checked against the result's, and a run that
 * starts the stream over against it) in little memory: appending each token to one string would keep a rope of a
 * concatenation and a string per token (~60 bytes a token); this joins the pieces every 64 tokens into flat text
 * (a byte or two a character).
 */
export function createSentText() {
  let flat = '';
  let length = 0;
  const pieces: string[] = [];
  return {
    append(text: string): void {
      pieces.push(text);
      length += text.length;
      if (pieces.length >= JOIN_EVERY) {
        flat += pieces.join('');
        pieces.length = 0;
      }
    },
    text(): string {
      if (pieces.length > 0) {
        flat += pieces.join('');
        pieces.length = 0;
      }
      return flat;
    },
    get length(): number {
      return length;
    },
  };
}

/**
 * A 32-bit FNV-1a hash of a chunk's content: what a relay keeps of each chunk sent, to tell a repeat of it (the same
 * seq, the same content) from other content under the same seq. Two contents with the same hash would be taken for
 * a repeat (one in four billion); what the client was sent is still checked whole against the result at the end.
 */
export function contentHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193);
  return hash >>> 0;
}
