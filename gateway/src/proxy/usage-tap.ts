import type { IncomingMessage } from 'node:http';
import { z } from 'zod';

/** What chat-service reported about a turn, read from the response as it streams past. */
export interface TurnReport {
  usage?: { input_tokens: number; output_tokens: number };
  safety?: 'allow' | 'redact' | 'block';
  /** The stream ended with a terminal `error` event. */
  error?: string;
}

const reportSchema = z.object({
  usage: z.object({ input_tokens: z.number().int().min(0), output_tokens: z.number().int().min(0) }).optional(),
  safety: z.object({ action: z.enum(['allow', 'redact', 'block']) }).optional(),
});
const errorSchema = z.object({ code: z.string() });

/** JSON replies are small; anything larger is not a chat reply and is not inspected. */
const MAX_JSON_BYTES = 1024 * 1024;

/**
 * Watches a proxied chat response without buffering or delaying it: the bytes still flow to
 * the client as they come; this only reads the final `done` event (SSE) or the JSON body
 * to learn the real token usage and the safety decision. Read `report()` once the
 * client's response has closed.
 */
export function tapTurnReport(upstream: IncomingMessage): { report(): TurnReport } {
  const type = String(upstream.headers['content-type'] ?? '');
  const decoder = new TextDecoder();
  let buffer = '';
  let size = 0;
  let report: TurnReport = {};

  const readBlock = (block: string): void => {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
    }
    if (event !== 'done' && event !== 'error') return;
    let payload: unknown;
    try {
      payload = JSON.parse(data.join('\n'));
    } catch {
      return;
    }
    if (event === 'error') {
      const parsed = errorSchema.safeParse(payload);
      report = { ...report, error: parsed.success ? parsed.data.code : 'unknown' };
      return;
    }
    const parsed = reportSchema.safeParse(payload);
    if (parsed.success) report = { ...report, ...toReport(parsed.data) };
  };

  upstream.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (type.startsWith('text/event-stream')) {
      buffer += decoder.decode(chunk, { stream: true });
      const blocks = buffer.split(/\r?\n\r?\n/);
      buffer = blocks.pop() ?? '';
      for (const block of blocks) readBlock(block);
    } else if (type.startsWith('application/json') && size <= MAX_JSON_BYTES) {
      buffer += decoder.decode(chunk, { stream: true });
    }
  });
  upstream.once('end', () => {
    if (type.startsWith('application/json') && size <= MAX_JSON_BYTES) {
      try {
        const parsed = reportSchema.safeParse(JSON.parse(buffer));
        if (parsed.success) report = toReport(parsed.data);
      } catch {
        // not a chat reply: nothing to report
      }
    }
  });
  // Read when the client response closes: by then a complete reply has been seen.
  return { report: () => report };
}

function toReport(data: z.output<typeof reportSchema>): TurnReport {
  return {
    ...(data.usage ? { usage: data.usage } : {}),
    ...(data.safety ? { safety: data.safety.action } : {}),
  };
}
