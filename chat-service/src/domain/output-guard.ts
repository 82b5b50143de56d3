import type { ModerationResult, SafetyAction } from './ports.js';

export interface OutputGuardOptions {
  /** Release once this many characters are ready, whatever the time. */
  windowChars: number;
  /**
   * Never release the last characters before the end of the stream: an entity (a phone
   * number, a spaced IBAN) may continue in them. Every check still sees them as lookahead.
   */
  holdbackChars: number;
  /** Release what is ready at least this often, so the reply still streams. */
  flushMs: number;
  now: () => number;
}

export type GuardResult = { kind: 'release'; text: string } | { kind: 'block' } | { kind: 'wait' };

const WAIT: GuardResult = { kind: 'wait' };
const SEVERITY: Record<SafetyAction, number> = { allow: 0, redact: 1, block: 2 };

/** Index just after the last whitespace before `limit`; a very long unbroken run is cut at `limit`. */
function cutBefore(text: string, limit: number, windowChars: number): number {
  for (let i = limit - 1; i >= 0; i--) {
    if (/\s/.test(text[i] ?? '')) return i + 1;
  }
  return limit >= windowChars * 4 ? limit : 0;
}

/**
 * Holds streamed model output until safety-service has checked it. Text is released in
 * windows cut at whitespace, never across a finding, always checked together with the
 * held-back lookahead so an entity split across chunks or windows is still seen whole.
 * Nothing unchecked is ever released; a failing check throws (fail closed).
 */
export class OutputGuard {
  private pending = '';
  private lastFlush: number;
  private applied: SafetyAction = 'allow';

  constructor(
    private readonly check: (text: string) => Promise<ModerationResult>,
    private readonly options: OutputGuardOptions,
  ) {
    this.lastFlush = options.now();
  }

  /** The most severe action applied to released text so far. */
  get action(): SafetyAction {
    return this.applied;
  }

  async push(text: string): Promise<GuardResult> {
    this.pending += text;
    const ready = this.pending.length - this.options.holdbackChars;
    if (ready <= 0) return WAIT;
    if (ready < this.options.windowChars && this.options.now() - this.lastFlush < this.options.flushMs) return WAIT;
    return this.flush(false);
  }

  /** The stream ended: check and release everything left. */
  finish(): Promise<GuardResult> {
    return this.flush(true);
  }

  private note(action: SafetyAction): void {
    if (SEVERITY[action] > SEVERITY[this.applied]) this.applied = action;
  }

  private async flush(final: boolean): Promise<GuardResult> {
    if (this.pending.length === 0) return WAIT;
    let end = final ? this.pending.length : cutBefore(this.pending, this.pending.length - this.options.holdbackChars, this.options.windowChars);
    if (end <= 0) return WAIT;

    const result = await this.check(this.pending);
    if (result.action === 'block') {
      this.note('block');
      return { kind: 'block' };
    }
    // safety-service's streaming mode: a value may have begun that later chunks finish (a key,
    // a PEM block, an IBAN): nothing from its start is released until it is complete.
    if (!final && result.hold_from !== undefined) end = Math.min(end, result.hold_from);
    if (end <= 0) return WAIT;
    let released: string;
    if (final) {
      released = result.text;
      this.note(result.action);
    } else {
      // Move the cut before any finding it would split; repeat until no finding straddles it.
      for (let moved = true; moved; ) {
        moved = false;
        for (const f of result.findings) {
          if (f.start < end && f.end > end) {
            end = f.start;
            moved = true;
          }
        }
      }
      if (end <= 0) return WAIT;
      const prefix = this.pending.slice(0, end);
      if (result.findings.some((f) => f.start < end)) {
        // Findings inside the prefix: get its own redacted text (offsets beyond it do not apply).
        const own = await this.check(prefix);
        if (own.action === 'block') {
          this.note('block');
          return { kind: 'block' };
        }
        released = own.text;
        this.note(own.action);
      } else {
        released = prefix;
      }
    }
    this.pending = this.pending.slice(end);
    this.lastFlush = this.options.now();
    return released.length > 0 ? { kind: 'release', text: released } : WAIT;
  }
}
