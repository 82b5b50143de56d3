// A small parser for text/event-stream, following the WHATWG "event stream interpretation"
// rules closely enough for fetch-based streaming (EventSource cannot POST or send headers).

export interface SseEvent {
  /** The `event:` field, or "message" when the event had none. */
  readonly event: string;
  /** All `data:` lines of the event, joined with "\n". */
  readonly data: string;
  /** The last `id:` seen on the stream so far ("" when none). */
  readonly id: string;
}

export interface SseParser {
  /** Feeds decoded text (split anywhere) and returns the events it completed. */
  push(text: string): SseEvent[];
}

export function createSseParser(): SseParser {
  const lineBreak = /\r\n|\r|\n/g;
  let buffer = '';
  // A chunk that ends in "\r" may be half of a "\r\n": drop a "\n" that starts the next chunk.
  let skipLeadingLf = false;
  let eventType = '';
  let dataLines: string[] = [];
  let lastEventId = '';

  function processLine(line: string, out: SseEvent[]): void {
    if (line === '') {
      if (dataLines.length > 0) {
        out.push({ event: eventType === '' ? 'message' : eventType, data: dataLines.join('\n'), id: lastEventId });
      }
      eventType = '';
      dataLines = [];
      return;
    }
    if (line.startsWith(':')) return; // comment, used by servers as a keep-alive

    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);

    switch (field) {
      case 'event':
        eventType = value;
        break;
      case 'data':
        dataLines.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) lastEventId = value;
        break;
      default:
        // `retry` (reconnection delay) is meaningless without EventSource; unknown fields are ignored.
        break;
    }
  }

  return {
    push(text: string): SseEvent[] {
      const events: SseEvent[] = [];
      if (text === '') return events;

      let chunk = text;
      if (skipLeadingLf) {
        skipLeadingLf = false;
        if (chunk.startsWith('\n')) chunk = chunk.slice(1);
      }

      const input = buffer + chunk;
      let start = 0;
      // The buffer never holds a line break, so scanning resumes where the new text begins.
      lineBreak.lastIndex = buffer.length;
      for (let match = lineBreak.exec(input); match !== null; match = lineBreak.exec(input)) {
        processLine(input.slice(start, match.index), events);
        start = lineBreak.lastIndex;
        if (match[0] === '\r' && start === input.length) skipLeadingLf = true;
      }
      buffer = input.slice(start);
      return events;
    },
  };
}

/**
 * Reads a response body as server-sent events. An event still incomplete when the stream
 * ends (no blank line after it) is discarded, as the specification requires.
 */
export async function* readSseEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent, void, undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder(); // strips a leading BOM, keeps multi-byte characters split across chunks intact
  const parser = createSseParser();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield* parser.push(decoder.decode(value, { stream: true }));
    }
    finished = true;
    yield* parser.push(decoder.decode());
  } finally {
    // The consumer stopped early (or reading failed): let go of the connection.
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
