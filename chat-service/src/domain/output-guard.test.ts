import { describe, expect, it } from 'vitest';
import { OutputGuard, type GuardResult } from './output-guard.js';
import type { ModerationResult } from './ports.js';

const EMAIL = /[\w.]+@[\w.]+\.\w+/g;

/** A checker that redacts emails (with offsets) and blocks the word FORBIDDEN. */
function checker() {
  const checked: string[] = [];
  const check = async (text: string): Promise<ModerationResult> => {
    checked.push(text);
    if (text.includes('FORBIDDEN')) return { action: 'block', text, findings: [], policy_version: 't' };
    const findings = [...text.matchAll(EMAIL)].map((m) => ({ category: 'pii.email', rule: 'r', start: m.index, end: m.index + m[0].length }));
    return { action: findings.length ? 'redact' : 'allow', text: text.replace(EMAIL, '[EMAIL]'), findings, policy_version: 't' };
  };
  return { check, checked };
}

async function run(guard: OutputGuard, chunks: string[]): Promise<{ released: string; results: GuardResult[] }> {
  const results: GuardResult[] = [];
  for (const c of chunks) results.push(await guard.push(c));
  results.push(await guard.finish());
  const released = results.map((r) => (r.kind === 'release' ? r.text : '')).join('');
  return { released, results };
}

const options = { windowChars: 20, holdbackChars: 12, flushMs: 0, now: () => 0 };

describe('OutputGuard', () => {
  it('redacts an email split across chunks and windows, never releasing any part of it', async () => {
    const { check } = checker();
    const text = 'Please write to the team at support.team@example.com any time you like, thanks a lot.';
    // Split into 3-character chunks: the address is spread over many of them.
    const chunks = text.match(/.{1,3}/gs)!;
    const { released, results } = await run(new OutputGuard(check, options), chunks);
    expect(released).toBe('Please write to the team at [EMAIL] any time you like, thanks a lot.');
    for (const r of results) if (r.kind === 'release') expect(r.text).not.toMatch(/support|example\.com/);
  });

  it('holds back the last characters until the stream ends', async () => {
    const { check } = checker();
    const guard = new OutputGuard(check, options);
    expect(await guard.push('short ')).toEqual({ kind: 'wait' });
    expect(await guard.finish()).toEqual({ kind: 'release', text: 'short ' });
  });

  it('releases small pieces once flushMs has passed, so replies still stream', async () => {
    const { check } = checker();
    let now = 0;
    const guard = new OutputGuard(check, { windowChars: 1000, holdbackChars: 4, flushMs: 100, now: () => now });
    expect(await guard.push('Hello there friend ')).toEqual({ kind: 'wait' });
    now = 150;
    expect(await guard.push('and ')).toEqual({ kind: 'release', text: 'Hello there friend ' });
  });

  it('blocks as soon as a checked window contains blocked content, even in the lookahead', async () => {
    const { check } = checker();
    const guard = new OutputGuard(check, options);
    const { released, results } = await run(guard, ['Some harmless words here, ', 'then FORBIDDEN stuff follows']);
    expect(results).toContainEqual({ kind: 'block' });
    expect(released).not.toContain('FORBIDDEN');
    expect(guard.action).toBe('block');
  });

  it('releases nothing that was not checked when the check fails', async () => {
    let calls = 0;
    const guard = new OutputGuard(
      async (text) => {
        calls += 1;
        if (calls > 1) throw new Error('safety down');
        return { action: 'allow', text, findings: [], policy_version: 't' };
      },
      options,
    );
    const first = await guard.push('one two three four five six seven ');
    expect(first.kind).toBe('release');
    await expect(guard.push('eight nine ten eleven twelve thirteen ')).rejects.toThrow('safety down');
  });

  it('reports redact as the applied action only when released text was redacted', async () => {
    const { check } = checker();
    const guard = new OutputGuard(check, options);
    await run(guard, ['No address in this reply at all, ', 'just words and more words.']);
    expect(guard.action).toBe('allow');
    const other = new OutputGuard(check, options);
    await run(other, ['Mail me at a.b@example.org today.']);
    expect(other.action).toBe('redact');
  });
});
