import { foldedView } from '../normalize.js';
import type { Detector, DetectorMatch } from './detector.js';
import { latinSkeleton } from './prompt-injection.js';

/**
 * System-prompt leakage in model output, two ways:
 *
 * - `system_prompt_leak.canary.v1`: the deployment's canary (PROMPT_CANARY, or the word both
 *   services derive from INTERNAL_SECRET) that chat-service puts in every system prompt. Matched
 *   on the folded view's Latin skeleton, so case, full-width letters, zero-width characters and
 *   Cyrillic/Greek look-alikes do not hide it, and up to 3 separators ("p c - a b", "pc.ab_cd")
 *   may sit between any two of its letters.
 * - `system_prompt_leak.verbatim.v1`: a run of at least `minRunWords` consecutive words shared
 *   with a configured prompt or persona. Words are the letter/digit runs of the same skeleton,
 *   so punctuation, case and spacing do not matter.
 *
 * Why 12 words: a normal reply shares short phrases with a prompt ("I am a helpful assistant",
 * "answer concisely and accurately", a persona's greeting), rarely more than 6 to 8 words in a
 * row; 12 words is a whole sentence of the prompt, which a reply has no reason to reproduce.
 * Each built-in prompt is 12 to 14 words, so only the whole of one fires. A prompt part shorter
 * than the threshold cannot be recognised this way; the canary covers it.
 */
export const DEFAULT_MIN_RUN_WORDS = 12;

export interface SystemPromptLeakOptions {
  /** The deployment's canary; undefined: no canary check. */
  canary?: string | undefined;
  /** The system prompts and persona the deployment sends (each checked on its own). */
  prompts: readonly string[];
  /** Default 12 (see above). */
  minRunWords?: number;
}

const WORD = /[\p{L}\p{N}]+/gu;
const NOT_WORD = /[^\p{L}\p{N}]/gu;
/** Separators tolerated between two letters of the canary. */
const CANARY_GAP = '[^\\p{L}\\p{N}]{0,3}';

/** The form both prompts and replies are compared in: the engine's folded view, look-alikes mapped to Latin. */
function skeleton(text: string): string {
  return latinSkeleton(foldedView(text).text);
}

/** A regex for the canary's letters and digits in order, separators allowed between them. */
function canaryPattern(canary: string): RegExp | undefined {
  const core = skeleton(canary).replace(NOT_WORD, '');
  // Shorter than 8 letters could occur by chance; config requires 12 characters anyway.
  if (core.length < 8) return undefined;
  // Only letters and digits are left: nothing to escape.
  return new RegExp([...core].join(CANARY_GAP), 'gu');
}

// Polynomial rolling hash over word ids, modulo a prime; products stay below 2^53.
const MOD = 1_000_000_007;
const BASE = 1_000_003;

interface Shingles {
  /** Word → id (1-based); a reply word missing here cannot be part of a leaked run. */
  vocabulary: Map<string, number>;
  /** Hash of `k` consecutive word ids → the distinct id sequences with that hash. */
  table: Map<number, Int32Array[]>;
  /** BASE^(k-1) mod MOD, to drop the oldest word from the hash. */
  dropFactor: number;
}

const sameIds = (a: ArrayLike<number>, b: ArrayLike<number>, bFrom: number, k: number): boolean => {
  for (let j = 0; j < k; j += 1) if (a[j] !== b[bFrom + j]) return false;
  return true;
};

/** Every run of `k` consecutive words of every prompt, hashed once at start-up. */
function buildShingles(prompts: readonly string[], k: number): Shingles {
  const vocabulary = new Map<string, number>();
  const table = new Map<number, Int32Array[]>();
  for (const prompt of prompts) {
    const ids = Array.from(skeleton(prompt).matchAll(WORD), ([word]) => {
      let id = vocabulary.get(word);
      if (id === undefined) {
        id = vocabulary.size + 1;
        vocabulary.set(word, id);
      }
      return id;
    });
    for (let start = 0; start + k <= ids.length; start += 1) {
      let hash = 0;
      for (let j = start; j < start + k; j += 1) hash = (hash * BASE + (ids[j] as number)) % MOD;
      const bucket = table.get(hash) ?? [];
      // Distinct sequences only, so a repetitive prompt cannot make a lookup slow.
      if (!bucket.some((seq) => sameIds(seq, ids, start, k))) bucket.push(Int32Array.from(ids.slice(start, start + k)));
      table.set(hash, bucket);
    }
  }
  let dropFactor = 1;
  for (let j = 1; j < k; j += 1) dropFactor = (dropFactor * BASE) % MOD;
  return { vocabulary, table, dropFactor };
}

/** Runs of >= k words shared with a prompt, one match per maximal run; linear in the text. */
function findVerbatim(text: string, shingles: Shingles, k: number): DetectorMatch[] {
  const found: DetectorMatch[] = [];
  if (shingles.table.size === 0) return found;
  const ids: number[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  let hash = 0;
  let run = 0;
  let open: { from: number; to: number } | undefined;
  const close = (): void => {
    if (open) found.push({ rule: 'system_prompt_leak.verbatim.v1', start: starts[open.from] as number, end: ends[open.to] as number });
    open = undefined;
  };
  for (const m of text.matchAll(WORD)) {
    const i = ids.length;
    const id = shingles.vocabulary.get(m[0]) ?? 0;
    ids.push(id);
    starts.push(m.index);
    ends.push(m.index + m[0].length);
    if (id === 0) {
      hash = 0;
      run = 0;
      continue;
    }
    if (run >= k) hash = (hash - ((ids[i - k] as number) * shingles.dropFactor) % MOD + MOD) % MOD;
    hash = (hash * BASE + id) % MOD;
    run = Math.min(run + 1, k);
    if (run < k) continue;
    const from = i - k + 1;
    const hit = shingles.table.get(hash)?.some((seq) => sameIds(seq, ids, from, k)) ?? false;
    if (!hit) continue;
    if (open && from <= open.to + 1) open.to = i;
    else {
      close();
      open = { from, to: i };
    }
  }
  close();
  return found;
}

/** The system_prompt_leak detector for one deployment's canary and prompts. */
export function createSystemPromptLeakDetector(options: SystemPromptLeakOptions): Detector {
  const k = options.minRunWords ?? DEFAULT_MIN_RUN_WORDS;
  if (!Number.isInteger(k) || k < 4) throw new RangeError('minRunWords must be an integer >= 4');
  const canary = options.canary === undefined ? undefined : canaryPattern(options.canary);
  const shingles = buildShingles([...new Set(options.prompts)], k);
  return {
    category: 'system_prompt_leak',
    kind: 'signal',
    view: 'folded',
    priority: 10,
    detect(folded) {
      // Same length as the folded view: offsets need no mapping.
      const text = latinSkeleton(folded);
      const found: DetectorMatch[] = [];
      if (canary) {
        for (const m of text.matchAll(canary)) found.push({ rule: 'system_prompt_leak.canary.v1', start: m.index, end: m.index + m[0].length });
      }
      found.push(...findVerbatim(text, shingles, k));
      return found;
    },
  };
}
