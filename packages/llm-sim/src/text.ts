import { createHash } from 'node:crypto';

/** A small, fast, seedable PRNG (mulberry32): the same seed yields the same sequence. */
export function createPrng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

// A token is a run of up to 16 non-space characters with the whitespace before it;
// trailing whitespace is a token of its own. Pieces joined give back the text exactly.
const TOKEN = /\s*\S{1,16}|\s+/gu;

/** Splits text into tokens (roughly one per word); streams send one token per chunk. */
export function splitTokens(text: string): string[] {
  return text.match(TOKEN) ?? [];
}

export function countTokens(text: string): number {
  return splitTokens(text).length;
}

/** OpenAI-style estimate: each message's tokens plus 3 for its framing, plus 3 to prime the reply. */
export function countPromptTokens(messages: readonly { role: string; text: string }[]): number {
  return messages.reduce((sum, m) => sum + countTokens(m.text) + 3, 3);
}

/** A hash of the model and the conversation: the same input gives the same reply. */
export function conversationDigest(model: string, messages: readonly { role: string; text: string }[]): string {
  return createHash('sha256')
    .update(JSON.stringify([model, messages.map((m) => [m.role, m.text])]))
    .digest('hex');
}

/** The 32-bit PRNG seed of a conversation digest. */
export function seedOf(digest: string): number {
  return Number.parseInt(digest.slice(0, 8), 16) >>> 0;
}

const DETERMINERS = ['the', 'a', 'every', 'this', 'our', 'each', 'that', 'one'];
const ADJECTIVES = [
  'quiet', 'bright', 'careful', 'simple', 'steady', 'modern', 'gentle', 'useful', 'clear', 'small',
  'large', 'early', 'patient', 'curious', 'honest', 'reliable', 'distant', 'local', 'quick', 'calm',
];
const NOUNS = [
  'system', 'river', 'garden', 'service', 'engineer', 'signal', 'window', 'library', 'request', 'answer',
  'morning', 'market', 'bridge', 'teacher', 'network', 'question', 'journey', 'record', 'village', 'pattern',
  'team', 'model', 'message', 'country', 'station', 'idea', 'report', 'machine', 'forest', 'city',
];
const VERBS = [
  'follows', 'explains', 'builds', 'watches', 'carries', 'improves', 'reaches', 'measures', 'shapes', 'helps',
  'answers', 'protects', 'connects', 'records', 'describes', 'supports', 'finds', 'keeps', 'opens', 'checks',
];
const PREPOSITIONS = ['near', 'with', 'across', 'behind', 'under', 'beside', 'through', 'after', 'before', 'around'];
const CONNECTORS = ['and', 'because', 'while', 'so', 'although'];
/** Short sentences that end a reply when only 1 to 3 tokens are left, so it never ends mid-clause. */
const ENDINGS: Record<number, readonly string[]> = {
  1: ['Indeed.', 'Certainly.', 'Exactly.', 'Agreed.'],
  2: ['That helps.', 'Thank you.', 'Good question.', 'Quite so.'],
  3: ['I hope so.', 'That is all.', 'This matters too.', 'Keep it simple.'],
};

function pick<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)] as T;
}

function clause(random: () => number): string[] {
  const words = [pick(random, DETERMINERS)];
  if (random() < 0.6) words.push(pick(random, ADJECTIVES));
  words.push(pick(random, NOUNS), pick(random, VERBS), pick(random, DETERMINERS));
  if (random() < 0.5) words.push(pick(random, ADJECTIVES));
  words.push(pick(random, NOUNS));
  if (random() < 0.4) words.push(pick(random, PREPOSITIONS), pick(random, DETERMINERS), pick(random, NOUNS));
  return words;
}

function sentence(random: () => number): string[] {
  const words = clause(random);
  if (random() < 0.35) words.push(pick(random, CONNECTORS), ...clause(random));
  const first = words[0] ?? '';
  words[0] = first.charAt(0).toUpperCase() + first.slice(1);
  return words;
}

const NOUN_SET = new Set(NOUNS);

/**
 * English-like prose of exactly `tokens` tokens, fully determined by `seed`.
 * Sentences that would overflow are cut after a noun; short remainders get a short sentence.
 */
export function generateReply(seed: number, tokens: number): string {
  const random = createPrng(seed);
  const words: string[] = [];
  while (words.length < tokens) {
    const left = tokens - words.length;
    const ending = ENDINGS[left];
    if (ending) {
      words.push(...pick(random, ending).split(' '));
      continue;
    }
    const next = sentence(random);
    let length = next.length;
    if (length > left) {
      length = left;
      while (length >= 5 && !NOUN_SET.has(next[length - 1] ?? '')) length -= 1;
      if (length < 5) {
        words.push(...pick(random, ENDINGS[2] ?? []).split(' '));
        continue;
      }
    }
    const kept = next.slice(0, length);
    kept[length - 1] += '.';
    words.push(...kept);
  }
  return words.join(' ');
}
