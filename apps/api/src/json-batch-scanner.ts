import { invalidRequest } from '@gateway/contracts';

/** What the scanner finds: each request's JSON text, and each other member of a `{"requests": [...], ...}` body. */
export interface JsonBatchHandlers {
  onItem(text: string): void;
  onOption(key: string, value: unknown): void;
}

const notJson = () => invalidRequest('request body is not valid JSON');
const notABatch = () => invalidRequest('a batch is a JSON array of requests, {"requests": [...]}, or JSONL (Content-Type: application/jsonl)');
const isSpace = (char: string) => char === ' ' || char === '\n' || char === '\r' || char === '\t';
const memberKeyPattern = /^\s*("(?:[^"\\]|\\.)*")\s*:\s*$/s;

/**
 * Splits a JSON batch body as it arrives into its requests, without holding more than the request being read: a
 * top-level array of requests, or an object whose `requests` member is one (its other members are options). Each
 * request's text is handed over as soon as its closing bracket arrives; JSON.parse checks it. Throws the 400
 * GatewayError on a body that is not such JSON.
 */
export function createJsonBatchScanner(handlers: JsonBatchHandlers) {
  let depth = 0;
  let inString = false;
  let escaped = false;
  /** Before the top-level value, inside it, or after it. */
  let mode: 'start' | 'inside' | 'done' = 'start';
  /** The depth of the requests' array contents while inside it, else 0. */
  let itemsDepth = 0;
  let current = '';
  let sawRequests = false;
  let itemsInArray = 0;

  const emitItem = (text: string, closing: boolean) => {
    if (text.trim() === '') {
      // `[]` is empty, not malformed; `[1,]` and `[,1]` are.
      if (closing && itemsInArray === 0) return;
      throw notJson();
    }
    itemsInArray += 1;
    handlers.onItem(text);
  };

  const emitMember = (text: string) => {
    if (text.trim() === '') {
      if (sawRequests) return;
      throw notJson();
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(`{${text}}`);
    } catch {
      throw notJson();
    }
    for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
      if (key === 'requests') throw notABatch();
      handlers.onOption(key, value);
    }
  };

  return {
    push(chunk: string): void {
      let start = 0;
      for (let index = 0; index < chunk.length; index += 1) {
        const char = chunk[index]!;
        if (inString) {
          if (escaped) escaped = false;
          else if (char === '\\') escaped = true;
          else if (char === '"') inString = false;
          continue;
        }
        if (mode === 'done') {
          if (!isSpace(char)) throw notJson();
          continue;
        }
        if (mode === 'start') {
          if (isSpace(char)) continue;
          if (char !== '[' && char !== '{') throw notABatch();
          // A top-level array is the requests; an object holds them in its `requests` member.
          itemsDepth = char === '[' ? 1 : 0;
          mode = 'inside';
          depth = 1;
          start = index + 1;
          current = '';
          continue;
        }
        if (char === '"') {
          inString = true;
          continue;
        }
        if (char === '[' || char === '{') {
          depth += 1;
          if (char === '[' && depth === 2 && itemsDepth === 0 && !sawRequests) {
            const key = memberKeyPattern.exec(current + chunk.slice(start, index))?.[1];
            if (key !== undefined && JSON.parse(key) === 'requests') {
              sawRequests = true;
              itemsDepth = 2;
              itemsInArray = 0;
              start = index + 1;
              current = '';
            }
          }
          continue;
        }
        if (char === ']' || char === '}') {
          if (itemsDepth > 0 && depth === itemsDepth) {
            if (char !== ']') throw notJson();
            emitItem(current + chunk.slice(start, index), true);
            current = '';
            start = index + 1;
            depth -= 1;
            if (itemsDepth === 1) {
              sawRequests = true;
              mode = 'done';
            }
            itemsDepth = 0;
            continue;
          }
          depth -= 1;
          if (depth === 0) {
            if (char !== '}') throw notJson();
            emitMember(current + chunk.slice(start, index));
            current = '';
            start = index + 1;
            mode = 'done';
          }
          continue;
        }
        if (char === ',') {
          if (itemsDepth > 0 && depth === itemsDepth) {
            emitItem(current + chunk.slice(start, index), false);
          } else if (itemsDepth === 0 && depth === 1) {
            emitMember(current + chunk.slice(start, index));
          } else {
            continue;
          }
          current = '';
          start = index + 1;
        }
      }
      if (mode !== 'done' && mode !== 'start') current += chunk.slice(start);
    },

    /** The body ended: throws when it was cut short or held no requests array. */
    end(): void {
      if (mode !== 'done' || inString) throw mode === 'start' ? notABatch() : notJson();
      if (!sawRequests) throw notABatch();
    },
  };
}
