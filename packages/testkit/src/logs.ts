import { Writable } from 'node:stream';

export interface CapturedLogs {
  /** A pino destination. */
  readonly stream: Writable;
  /** Every JSON line written so far, parsed. */
  readonly lines: Record<string, unknown>[];
  /** The raw text, for "this never appears in any log" assertions. */
  text(): string;
}

/** Collects log lines in memory so tests can assert what an operator would read. */
export function captureLogs(): CapturedLogs {
  const lines: Record<string, unknown>[] = [];
  let raw = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      const text = chunk.toString();
      raw += text;
      for (const line of text.split('\n')) {
        if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { stream, lines, text: () => raw };
}
