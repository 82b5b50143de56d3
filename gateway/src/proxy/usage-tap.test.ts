import { PassThrough } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { tapTurnReport } from './usage-tap.js';

function upstream(contentType: string) {
  const stream = new PassThrough() as PassThrough & { headers: Record<string, string> };
  stream.headers = { 'content-type': contentType };
  return stream;
}

async function feed(stream: PassThrough, chunks: string[]): Promise<void> {
  stream.resume();
  for (const c of chunks) stream.write(c);
  stream.end();
  await new Promise((r) => stream.once('end', r));
}

describe('tapTurnReport', () => {
  it('reads usage and safety from the done event of an SSE stream split anywhere', async () => {
    const text =
      'event: meta\ndata: {"message_id":"m"}\n\nevent: delta\ndata: {"text":"hi"}\n\n' +
      'event: done\ndata: {"finish_reason":"stop","usage":{"input_tokens":12,"output_tokens":34},"safety":{"action":"redact"}}\n\n';
    for (let cut = 1; cut < text.length; cut += 7) {
      const up = upstream('text/event-stream; charset=utf-8');
      const tap = tapTurnReport(up as unknown as IncomingMessage);
      await feed(up, [text.slice(0, cut), text.slice(cut)]);
      expect(tap.report()).toEqual({ usage: { input_tokens: 12, output_tokens: 34 }, safety: 'redact' });
    }
  });

  it('notes a terminal error event', async () => {
    const up = upstream('text/event-stream');
    const tap = tapTurnReport(up as unknown as IncomingMessage);
    await feed(up, ['event: meta\ndata: {}\n\nevent: error\ndata: {"code":"llm_unavailable","message":"x","retryable":true}\n\n']);
    expect(tap.report()).toEqual({ error: 'llm_unavailable' });
  });

  it('reads usage and safety from a JSON reply', async () => {
    const up = upstream('application/json; charset=utf-8');
    const tap = tapTurnReport(up as unknown as IncomingMessage);
    await feed(up, ['{"reply":"x","usage":{"input_tokens":1,', '"output_tokens":2},"safety":{"action":"block"}}']);
    expect(tap.report()).toEqual({ usage: { input_tokens: 1, output_tokens: 2 }, safety: 'block' });
  });

  it('reports nothing for a body it does not understand', async () => {
    const up = upstream('application/json');
    const tap = tapTurnReport(up as unknown as IncomingMessage);
    await feed(up, ['not json']);
    expect(tap.report()).toEqual({});
  });

  it('reads the report of an OpenAI-style stream from its SSE comment, and its cost', async () => {
    const text =
      'data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]}\n\n' +
      'data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n' +
      ': parley {"usage":{"input_tokens":7,"output_tokens":9},"cost_usd":0.000123,"safety":{"action":"allow"}}\n\n' +
      'data: [DONE]\n\n';
    for (let cut = 1; cut < text.length; cut += 11) {
      const up = upstream('text/event-stream; charset=utf-8');
      const tap = tapTurnReport(up as unknown as IncomingMessage);
      await feed(up, [text.slice(0, cut), text.slice(cut)]);
      expect(tap.report()).toEqual({ usage: { input_tokens: 7, output_tokens: 9 }, costUsd: 0.000123, safety: 'allow' });
    }
  });

  it('notes an OpenAI-style error data line that ends a stream', async () => {
    const up = upstream('text/event-stream');
    const tap = tapTurnReport(up as unknown as IncomingMessage);
    await feed(up, ['data: {"id":"c","choices":[]}\n\ndata: {"error":{"message":"x","type":"server_error","code":"llm_unavailable","param":null}}\n\n']);
    expect(tap.report()).toEqual({ error: 'llm_unavailable' });
  });

  it('reads an OpenAI completion through its parley member, not the OpenAI usage names', async () => {
    const up = upstream('application/json');
    const tap = tapTurnReport(up as unknown as IncomingMessage);
    await feed(up, [
      '{"object":"chat.completion","usage":{"prompt_tokens":99,"completion_tokens":99,"total_tokens":198},',
      '"parley":{"usage":{"input_tokens":3,"output_tokens":4},"cost_usd":0.5,"safety":{"action":"redact"}}}',
    ]);
    expect(tap.report()).toEqual({ usage: { input_tokens: 3, output_tokens: 4 }, costUsd: 0.5, safety: 'redact' });
  });
});
