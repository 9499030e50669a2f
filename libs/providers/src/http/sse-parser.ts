import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** One server-sent event. Comment lines (`: ...`, e.g. `: OPENROUTER PROCESSING`) are skipped. */
export interface ServerSentEvent {
  event?: string | undefined;
  data: string;
}

/**
 * A push parser over decoded text: `feed` takes the text as it comes (any boundaries) and hands each whole item to
 * the callback it was made with, synchronously; `end` takes what is left once the body is over.
 */
export interface TextFeed {
  feed(text: string): void;
  end(): void;
}

const DEFAULT_MAX_LINE_BYTES = 4 * 1024 * 1024;

const lineTooLong = (maxLineBytes: number) => new Error(`stream line longer than ${maxLineBytes} bytes`);

/**
 * Splits text into lines, whatever the boundaries (CRLF, LF or CR). A line longer than `maxLineBytes` (a hostile
 * upstream that never sends a newline) throws; a last line without its newline is still handed over by `end`.
 */
export function createLineFeed(onLine: (line: string) => void, maxLineBytes = DEFAULT_MAX_LINE_BYTES): TextFeed {
  let buffer = '';
  return {
    feed(text) {
      // What was kept holds no line break but perhaps a last \r: the scan starts there.
      const kept = buffer.length;
      buffer = kept === 0 ? text : buffer + text;
      let start = 0;
      for (let index = Math.max(0, kept - 1); index < buffer.length; index += 1) {
        const code = buffer.charCodeAt(index);
        if (code !== 10 && code !== 13) continue;
        // a lone \r at the end may be half of a \r\n: wait for more
        if (code === 13 && index === buffer.length - 1) break;
        onLine(buffer.slice(start, index));
        if (code === 13 && buffer.charCodeAt(index + 1) === 10) index += 1;
        start = index + 1;
      }
      buffer = start === 0 ? buffer : buffer.slice(start);
      if (buffer.length > maxLineBytes) throw lineTooLong(maxLineBytes);
    },
    end() {
      const rest = buffer;
      buffer = '';
      if (rest.length > 0) onLine(rest.endsWith('\r') ? rest.slice(0, -1) : rest);
    },
  };
}

/**
 * Parses server-sent events with eventsource-parser (WHATWG rules: data, event and id fields, comments skipped). A
 * line longer than `maxLineBytes` throws; a last event without its blank line is still handed over by `end`, as
 * lenient upstreams end that way.
 */
export function createServerSentEventFeed(onEvent: (event: ServerSentEvent) => void, maxLineBytes = DEFAULT_MAX_LINE_BYTES): TextFeed {
  const parser = createParser({ onEvent: (message: EventSourceMessage) => onEvent(message) });
  let lineLength = 0;
  const feed = (text: string) => {
    const lastBreak = Math.max(text.lastIndexOf('\n'), text.lastIndexOf('\r'));
    lineLength = lastBreak === -1 ? lineLength + text.length : text.length - lastBreak - 1;
    if (lineLength > maxLineBytes) throw lineTooLong(maxLineBytes);
    parser.feed(text);
  };
  return { feed, end: () => feed('\n\n') };
}
