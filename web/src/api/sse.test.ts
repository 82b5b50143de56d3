import { describe, expect, it } from 'vitest';
import { createSseParser, readSseEvents, type SseEvent } from './sse';

const encoder = new TextEncoder();

function streamOf(chunks: readonly Uint8Array[], onCancel?: () => void): ReadableStream<Uint8Array> {
  let next = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = chunks[next++];
      if (chunk === undefined) controller.close();
      else controller.enqueue(chunk);
    },
    cancel() {
      onCancel?.();
    },
  });
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  for await (const event of readSseEvents(stream)) events.push(event);
  return events;
}

function parse(text: string): SseEvent[] {
  return createSseParser().push(text);
}

// Mixes every line ending, a comment, multi-line data and multi-byte characters.
const wire =
  ': keep-alive\n' +
  'event: meta\r\n' +
  'data: {"message_id":"m1"}\r\n' +
  '\r\n' +
  'event: delta\n' +
  'data: {"text":"Grüße 👋"}\n' +
  '\n' +
  'event: delta\r' +
  'data: first line\r' +
  ': a comment between fields\r' +
  'data: second line\r' +
  '\r' +
  'data: no event name\r\n' +
  '\r\n' +
  'event: done\n' +
  'data: {"finish_reason":"stop"}\n' +
  '\n';

const expected: SseEvent[] = [
  { event: 'meta', data: '{"message_id":"m1"}', id: '' },
  { event: 'delta', data: '{"text":"Grüße 👋"}', id: '' },
  { event: 'delta', data: 'first line\nsecond line', id: '' },
  { event: 'message', data: 'no event name', id: '' },
  { event: 'done', data: '{"finish_reason":"stop"}', id: '' },
];

describe('readSseEvents', () => {
  it('yields the same events however the bytes are split into chunks', async () => {
    const bytes = encoder.encode(wire);
    expect(await collect(streamOf([bytes]))).toEqual(expected);

    for (let offset = 0; offset <= bytes.length; offset++) {
      const events = await collect(streamOf([bytes.subarray(0, offset), bytes.subarray(offset)]));
      expect(events, `split at byte ${offset}`).toEqual(expected);
    }

    const oneByteChunks = Array.from(bytes, (_, i) => bytes.subarray(i, i + 1));
    expect(await collect(streamOf(oneByteChunks))).toEqual(expected);
  });

  it('does not emit a trailing event that the stream ends before its blank line', async () => {
    const events = await collect(streamOf([encoder.encode('data: complete\n\nevent: delta\ndata: cut off\n')]));
    expect(events).toEqual([{ event: 'message', data: 'complete', id: '' }]);

    const noNewline = await collect(streamOf([encoder.encode('data: complete\n\ndata: cut off')]));
    expect(noNewline).toEqual([{ event: 'message', data: 'complete', id: '' }]);
  });

  it('cancels the body when the consumer stops reading early', async () => {
    let cancelled = false;
    const body = streamOf([encoder.encode('data: one\n\n'), encoder.encode('data: two\n\n')], () => {
      cancelled = true;
    });
    for await (const event of readSseEvents(body)) {
      expect(event.data).toBe('one');
      break;
    }
    expect(cancelled).toBe(true);
  });

  it('ignores a leading byte order mark', async () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...encoder.encode('data: x\n\n')]);
    expect(await collect(streamOf([bytes]))).toEqual([{ event: 'message', data: 'x', id: '' }]);
  });
});

describe('createSseParser', () => {
  it('treats CRLF as one line break, also when a chunk ends between CR and LF', () => {
    const parser = createSseParser();
    expect(parser.push('event: delta\r\ndata: a\r')).toEqual([]);
    // This LF completes the CRLF above; were it read as a blank line, the event would fire here.
    expect(parser.push('\n')).toEqual([]);
    expect(parser.push('\r\n')).toEqual([{ event: 'delta', data: 'a', id: '' }]);
  });

  it('joins multi-line data with newlines, keeping empty lines and extra spaces', () => {
    expect(parse('data: a\ndata\ndata:  b\ndata:c\n\n')).toEqual([{ event: 'message', data: 'a\n\n b\nc', id: '' }]);
  });

  it('ignores comments, unknown fields and events without data', () => {
    expect(parse(': ping\n\n:\n\nevent: delta\nretry: 1000\nfoo: bar\n\n')).toEqual([]);
    expect(parse(':comment\ndata: kept\n: another\n\n')).toEqual([{ event: 'message', data: 'kept', id: '' }]);
  });

  it('resets the event name after each event but keeps the last id', () => {
    expect(parse('id: 7\nevent: delta\ndata: a\n\ndata: b\n\n')).toEqual([
      { event: 'delta', data: 'a', id: '7' },
      { event: 'message', data: 'b', id: '7' },
    ]);
  });
});
