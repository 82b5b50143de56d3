import type { IncomingHttpHeaders } from 'node:http';
import { ValidationError } from '@parley/platform';
import { FaultSpecError, parseFaultSpec, type Fault } from './faults.js';

/** What one request asks for, from x-llm-sim-* headers or [[sim:...]] directives. */
export interface RequestOverrides {
  fault?: Fault;
  /** The spec as written: with the conversation it keys the `times=N` counter. */
  faultSpec?: string;
  ttftMs?: number;
  latencyMs?: number;
  tokensPerSecond?: number;
  replyTokens?: number;
  /** Reply with the last user message (directives removed). */
  echo?: boolean;
  /** Reply with this exact text. */
  reply?: string;
  /** POST /v1/moderations: the categories to flag (OpenAI's names); chat completions ignore it. */
  moderation?: string[];
}

/** OpenAI's moderation categories, in the order its answers list them. */
export const MODERATION_CATEGORIES = [
  'harassment',
  'harassment/threatening',
  'hate',
  'hate/threatening',
  'illicit',
  'illicit/violent',
  'self-harm',
  'self-harm/intent',
  'self-harm/instructions',
  'sexual',
  'sexual/minors',
  'violence',
  'violence/graphic',
] as const;
export type ModerationCategory = (typeof MODERATION_CATEGORIES)[number];
const MODERATION_CATEGORY_SET: ReadonlySet<string> = new Set(MODERATION_CATEGORIES);

function moderationCategories(source: string, value: string): string[] {
  const names = value.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const unknown = names.find((name) => !MODERATION_CATEGORY_SET.has(name));
  if (unknown !== undefined) {
    throw new ValidationError(`Invalid ${source}: unknown category ${JSON.stringify(unknown.slice(0, 32))} (known: ${MODERATION_CATEGORIES.join(', ')}).`);
  }
  return names;
}

export const DIRECTIVE = /\[\[sim:([a-z_]+)(?:=([^\]]*))?\]\]/g;

/** The text without its [[sim:...]] directives, so they change neither the seed nor an echo. */
export function stripDirectives(text: string): string {
  return text.replace(DIRECTIVE, '');
}

const MAX_MS = 600_000;

function numberSetting(source: string, value: string, { integer, max }: { integer: boolean; max: number }): number {
  const pattern = integer ? /^\d+$/ : /^\d+(?:\.\d+)?$/;
  const n = Number(value.trim());
  if (!pattern.test(value.trim()) || n > max) {
    throw new ValidationError(`Invalid ${source}: expected ${integer ? 'a whole number' : 'a number'} from 0 to ${max}.`);
  }
  return n;
}

function fault(source: string, spec: string): Pick<RequestOverrides, 'fault' | 'faultSpec'> {
  try {
    return { fault: parseFaultSpec(spec), faultSpec: spec.trim() };
  } catch (err) {
    if (err instanceof FaultSpecError) throw new ValidationError(`Invalid ${source}: ${err.message}.`);
    throw err;
  }
}

type Setting = 'ttftMs' | 'latencyMs' | 'tokensPerSecond' | 'replyTokens';
const SETTINGS: Record<string, { key: Setting; integer: boolean; max: number; header: string }> = {
  ttft_ms: { key: 'ttftMs', integer: true, max: MAX_MS, header: 'x-llm-sim-ttft-ms' },
  latency_ms: { key: 'latencyMs', integer: true, max: MAX_MS, header: 'x-llm-sim-latency-ms' },
  tokens_per_second: { key: 'tokensPerSecond', integer: false, max: 1_000_000, header: 'x-llm-sim-tokens-per-second' },
  reply_tokens: { key: 'replyTokens', integer: true, max: 100_000, header: 'x-llm-sim-reply-tokens' },
};

/**
 * Directives in the last user message: `[[sim:echo]]`, `[[sim:reply=TEXT]]`, `[[sim:fault=SPEC]]`,
 * `[[sim:ttft_ms=N]]`, `[[sim:latency_ms=N]]`, `[[sim:tokens_per_second=N]]`, `[[sim:reply_tokens=N]]`,
 * `[[sim:moderation=violence,self-harm]]` (read by /v1/moderations, ignored by chat completions).
 * They reach the simulator through the whole Parley stack, where clients cannot set upstream headers.
 */
export function parseDirectives(text: string): RequestOverrides {
  const overrides: RequestOverrides = {};
  for (const match of text.matchAll(DIRECTIVE)) {
    const name = match[1] ?? '';
    const value = match[2];
    const source = `directive [[sim:${name}]]`;
    if (name === 'echo') {
      if (value !== undefined) throw new ValidationError(`Invalid ${source}: takes no value.`);
      overrides.echo = true;
    } else if (name === 'reply') {
      overrides.reply = value ?? '';
    } else if (name === 'fault') {
      Object.assign(overrides, fault(source, value ?? ''));
    } else if (name === 'moderation') {
      overrides.moderation = [...(overrides.moderation ?? []), ...moderationCategories(source, value ?? '')];
    } else {
      const setting = SETTINGS[name];
      if (!setting) throw new ValidationError(`Unknown llm-sim directive [[sim:${name.slice(0, 32)}]].`);
      overrides[setting.key] = numberSetting(source, value ?? '', setting);
    }
  }
  return overrides;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(';') : value;
}

/** x-llm-sim-fault, x-llm-sim-ttft-ms, x-llm-sim-latency-ms, x-llm-sim-tokens-per-second, x-llm-sim-reply-tokens. */
export function parseHeaderOverrides(headers: IncomingHttpHeaders): RequestOverrides {
  const overrides: RequestOverrides = {};
  const spec = header(headers, 'x-llm-sim-fault');
  if (spec !== undefined) Object.assign(overrides, fault('x-llm-sim-fault header', spec));
  for (const setting of Object.values(SETTINGS)) {
    const value = header(headers, setting.header);
    if (value !== undefined) overrides[setting.key] = numberSetting(`${setting.header} header`, value, setting);
  }
  return overrides;
}

/** Headers win over directives: a test harness can always override what a prompt says. */
export function mergeOverrides(fromDirectives: RequestOverrides, fromHeaders: RequestOverrides): RequestOverrides {
  return { ...fromDirectives, ...fromHeaders };
}
