import { batchPartTooLarge, invalidRequest } from '@gateway/contracts';

/** What the scanner finds: each request's JSON text, and each other member of a `{"requests": [...], ...}` body. */
export interface JsonBatchHandlers {
  onItem(text: string): void;
  onOption(key: string, value: unknown): void;
}

const notJson = () => invalidRequest('request body is not valid JSON');
const notABatch = () => invalidRequest('a batch is a JSON array of requests, {"requests": [...]}, or JSONL (Content-Type: application/jsonl)');
const isSpace = (char: string) => char === ' ' || char === '\n' || char === '\r' || char === '\t';
/** The longest raw text a member name spelling `requests` can have: each of its 8 letters as a `\uXXXX` escape. */
const MAX_KEY_CHARS = 48;

/** Where the scanner is within a top-level member (`ws "key" ws : ws value`), as far as finding `requests` needs. */
type MemberState = 'key' | 'in-key' | 'colon' | 'value' | 'other';

/** A member name's raw text (between its quotes) decoded, or undefined when it is too long to be `requests` or not JSON. */
function decodeKey(raw: string): string | undefined {
  if (raw.length > MAX_KEY_CHARS) return undefined;
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return undefined;
  }
}

/**
 * Splits a JSON batch body as it arrives into its requests, without holding more than the request being read: a
 * top-level array of requests, or an object whose `requests` member is one (its other members are options). Each
 * request's text is handed over as soon as its closing bracket arrives; JSON.parse checks it. Throws the 400
 * GatewayError on a body that is not such JSON, and the 413 one on a request or member longer than `maxValueChars`.
 * Each character is looked at once (the member name is followed as it arrives), so the time is linear in the body.
 */
export function createJsonBatchScanner(handlers: JsonBatchHandlers, maxValueChars = Number.POSITIVE_INFINITY) {
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
  let memberState: MemberState = 'other';
  /** The current member name's raw text while it is read (at most MAX_KEY_CHARS + 1 kept), then its value. */
  let keyRaw = '';
  let memberKey: string | undefined;

  const checkLength = (length: number) => {
    if (length > maxValueChars) throw batchPartTooLarge(itemsDepth > 0 ? 'request' : 'member', maxValueChars);
  };

  const emitItem = (text: string, closing: boolean) => {
    checkLength(text.length);
    if (text.trim() === '') {
      // `[]` is empty, not malformed; `[1,]` and `[,1]` are.
      if (closing && itemsInArray === 0) return;
      throw notJson();
    }
    itemsInArray += 1;
    handlers.onItem(text);
  };

  const emitMember = (text: string) => {
    checkLength(text.length);
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
          else if (char === '"') {
            inString = false;
            if (memberState === 'in-key') {
              memberState = 'colon';
              memberKey = decodeKey(keyRaw);
            }
            continue;
          }
          if (memberState === 'in-key' && keyRaw.length <= MAX_KEY_CHARS) keyRaw += char;
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
          memberState = char === '{' ? 'key' : 'other';
          mode = 'inside';
          depth = 1;
          start = index + 1;
          current = '';
          continue;
        }
        const atMember = depth === 1 && itemsDepth === 0;
        if (char === '"') {
          inString = true;
          if (atMember) {
            memberState = memberState === 'key' ? 'in-key' : 'other';
            keyRaw = '';
          }
          continue;
        }
        if (char === '[' || char === '{') {
          depth += 1;
          if (atMember) {
            if (char === '[' && memberState === 'value' && !sawRequests && memberKey === 'requests') {
              sawRequests = true;
              itemsDepth = 2;
              itemsInArray = 0;
              start = index + 1;
              current = '';
            }
            memberState = 'other';
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
          } else if (atMember) {
            emitMember(current + chunk.slice(start, index));
            memberState = 'key';
            memberKey = undefined;
          } else {
            continue;
          }
          current = '';
          start = index + 1;
          continue;
        }
        if (atMember && !isSpace(char)) memberState = char === ':' && memberState === 'colon' ? 'value' : 'other';
      }
      if (mode !== 'done' && mode !== 'start') {
        current += chunk.slice(start);
        checkLength(current.length);
      }
    },

    /**
     * The body ended: throws when it was cut short, or held no requests array while `requestsRequired` (an OpenAI
     * batch, `{"input_file_id", …}`, names a file instead). Answers whether it held one.
     */
    end(requestsRequired = true): boolean {
      if (mode !== 'done' || inString) throw mode === 'start' ? notABatch() : notJson();
      if (!sawRequests && requestsRequired) throw notABatch();
      return sawRequests;
    },
  };
}
