import type { IncomingMessage } from 'node:http';
import { z } from 'zod';

/** What chat-service reported about a turn, read from the response as it streams past. */
export interface TurnReport {
  usage?: { input_tokens: number; output_tokens: number };
  /** What chat-service priced the turn at (the model that answered), in US dollars. */
  costUsd?: number;
  safety?: 'allow' | 'redact' | 'block';
  /** The stream ended with a terminal `error` event. */
  error?: string;
}

const reportSchema = z.object({
  usage: z.object({ input_tokens: z.number().int().min(0), output_tokens: z.number().int().min(0) }).optional(),
  cost_usd: z.number().min(0).optional(),
  safety: z.object({ action: z.enum(['allow', 'redact', 'block']) }).optional(),
});
/** An OpenAI-compatible reply carries chat-service's report in its `parley` member. */
const completionSchema = z.object({ parley: reportSchema });
const errorSchema = z.object({ code: z.string() });
/** OpenAI-style streams: `data: {"error":{...}}`. */
const dataErrorSchema = z.object({ error: z.object({ code: z.string().nullish() }) });
/** The report chat-service puts in an SSE comment at the end of an OpenAI-style stream. */
const REPORT_COMMENT = ': parley ';

/** JSON replies are small; anything larger is not a chat reply and is not inspected. */
const MAX_JSON_BYTES = 1024 * 1024;

/**
 * Watches a proxied chat response without buffering or delaying it: the bytes still flow to
 * the client as they come; this only reads the final `done` event or `: parley` comment
 * (SSE) or the JSON body (the UI's reply, or an OpenAI completion's `parley` member) to learn
 * the real token usage, its cost and the safety decision. Read `report()` once the client's
 * response has closed.
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
      else if (line.startsWith(REPORT_COMMENT)) readReport(line.slice(REPORT_COMMENT.length));
    }
    if (event === 'message' && data.length > 0 && data[0]?.startsWith('{"error"')) {
      const parsed = dataErrorSchema.safeParse(safeJson(data.join('\n')));
      if (parsed.success) report = { ...report, error: parsed.data.error.code ?? 'unknown' };
      return;
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
  const readReport = (json: string): void => {
    const parsed = reportSchema.safeParse(safeJson(json));
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
      const body = safeJson(buffer);
      const completion = completionSchema.safeParse(body);
      const parsed = completion.success ? { success: true as const, data: completion.data.parley } : reportSchema.safeParse(body);
      // Anything else is not a chat reply: nothing to report.
      if (parsed.success) report = toReport(parsed.data);
    }
  });
  // Read when the client response closes: by then a complete reply has been seen.
  return { report: () => report };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function toReport(data: z.output<typeof reportSchema>): TurnReport {
  return {
    ...(data.usage ? { usage: data.usage } : {}),
    ...(data.cost_usd !== undefined ? { costUsd: data.cost_usd } : {}),
    ...(data.safety ? { safety: data.safety.action } : {}),
  };
}
