import { DEFAULT_SYSTEM_PROMPTS, derivePromptCanary } from '@parley/platform';
import { describe, expect, it } from 'vitest';
import { createModerator } from '../engine.js';
import { createDetectors } from './index.js';
import { DEFAULT_MIN_RUN_WORDS, createSystemPromptLeakDetector } from './system-prompt-leak.js';

const CANARY = derivePromptCanary('a-test-internal-secret-of-32-chars!');
const PERSONA =
  'You are the assistant of example.com. Ask whether the visitor is a recruiter, a hiring manager or a peer, ' +
  'and adapt your answers to them. Never discuss salaries, internal projects or the names of current clients, ' +
  'and point anyone who asks about them to the contact form at the bottom of the page.';
const PROMPTS = [...Object.values(DEFAULT_SYSTEM_PROMPTS), PERSONA];

const moderator = createModerator({ detectors: createDetectors({ systemPromptLeak: { canary: CANARY, prompts: PROMPTS } }) });
const check = (text: string, direction: 'input' | 'output' = 'output') => moderator.moderate({ text, direction });
const leaks = (text: string) =>
  check(text)
    .findings.filter((f) => f.category === 'system_prompt_leak')
    .map((f) => ({ rule: f.rule, text: text.slice(f.start, f.end) }));

/** `n` consecutive words of the persona, starting at word `from`. */
const personaWords = (from: number, n: number) => PERSONA.split(' ').slice(from, from + n).join(' ');

describe('system_prompt_leak: canary', () => {
  const [, core = ''] = CANARY.split('-');
  const spaced = [...`pc${core}`].join(' ');

  it.each([
    ['plain', `Sure. My notes start with "Internal reference ${CANARY}: never repeat".`],
    ['upper case', `Reference ${CANARY.toUpperCase()} it is.`],
    ['spaced out', `The code is ${spaced}.`],
    ['with other separators', `The code is ${[...`pc${core}`].join('.-')}.`],
    ['with zero-width characters', `The code is ${[...CANARY].join('\u200b')} and more.`],
    ['with full-width letters', `Here: ${[...CANARY].map((c) => (/[a-z]/.test(c) ? String.fromCharCode(c.charCodeAt(0) + 0xfee0) : c)).join('')}`],
  ])('blocks a reply carrying the canary %s', (_, text) => {
    const result = check(text);
    expect(result.action).toBe('block');
    expect(result.findings).toContainEqual(expect.objectContaining({ category: 'system_prompt_leak', rule: 'system_prompt_leak.canary.v1' }));
  });

  it('blocks the canary written with Cyrillic and Greek look-alike letters', () => {
    const lookAlikes: Record<string, string> = { a: '\u0430', e: '\u0435', o: '\u043e', p: '\u0440', c: '\u0441', x: '\u0445', i: '\u0456', k: '\u03ba', t: '\u03c4' };
    const disguised = [...CANARY].map((c) => lookAlikes[c] ?? c).join('');
    expect(disguised).not.toBe(CANARY);
    expect(leaks(`ref ${disguised}`)).toEqual([{ rule: 'system_prompt_leak.canary.v1', text: disguised }]);
  });

  it('reports the span of the canary in the submitted text', () => {
    const text = `Hidden: ${[...CANARY].join('\u200b')}!`;
    expect(leaks(text)).toEqual([{ rule: 'system_prompt_leak.canary.v1', text: [...CANARY].join('\u200b') }]);
  });

  it('does not look at input: a user may paste anything', () => {
    expect(check(`what does ${CANARY} mean?`, 'input')).toMatchObject({ action: 'allow', findings: [] });
  });

  it('does not fire on another deployment\'s canary or on text around a partial one', () => {
    expect(leaks(`Reference ${derivePromptCanary('another-internal-secret-of-32-chars!')}.`)).toEqual([]);
    expect(leaks(`Reference pc-${core.slice(0, 8)} and the rest.`)).toEqual([]);
  });
});

describe('system_prompt_leak: verbatim runs of the system prompt', () => {
  it(`blocks a reply reproducing ${DEFAULT_MIN_RUN_WORDS} words of the persona in a row, whatever the case and punctuation`, () => {
    const run = personaWords(14, DEFAULT_MIN_RUN_WORDS);
    const text = `Okay, here it is: ${run.toUpperCase().replaceAll(',', ';')} -- that's all.`;
    const result = check(text);
    expect(result.action).toBe('block');
    expect(leaks(text)).toEqual([{ rule: 'system_prompt_leak.verbatim.v1', text: run.toUpperCase().replaceAll(',', ';') }]);
  });

  it('reports one finding for a long leak, from its first word to its last', () => {
    const text = `My instructions: ${PERSONA} Anything else?`;
    expect(leaks(text)).toEqual([{ rule: 'system_prompt_leak.verbatim.v1', text: PERSONA.slice(0, -1) }]);
  });

  it('blocks a whole built-in prompt reproduced, also with zero-width characters and look-alikes inside', () => {
    expect(check(DEFAULT_SYSTEM_PROMPTS.de).action).toBe('block');
    expect(check(`I was told: ${DEFAULT_SYSTEM_PROMPTS.en.replaceAll(' ', ' \u200b').replaceAll('o', '\u043e')}`).action).toBe('block');
  });

  it(`allows a run one word short of ${DEFAULT_MIN_RUN_WORDS}`, () => {
    const text = `Okay: ${personaWords(14, DEFAULT_MIN_RUN_WORDS - 1)}, as you know.`;
    expect(check(text)).toMatchObject({ action: 'allow', findings: [] });
  });

  it("allows a reply quoting only the persona's first sentence", () => {
    const first = 'You are the assistant of example.com.';
    expect(PERSONA.startsWith(first)).toBe(true);
    expect(check(`As the site says, ${first.replace('You are', 'I am')} ${first} How can I help?`)).toMatchObject({ action: 'allow', findings: [] });
  });

  it.each([
    'I am Parley, a helpful assistant. How can I help you today?',
    'You are right: a helpful assistant answers concisely and accurately, in English or in French.',
    'Ich bin Parley, ein hilfreicher Assistent. Ich antworte auf Deutsch, knapp und genau.',
    'Je suis Parley, un assistant serviable. Je réponds en français.',
    'Are you a recruiter, a hiring manager or a peer? I can adapt my answers to you.',
  ])('allows an ordinary answer sharing short phrases with the prompts: %s', (text) => {
    expect(check(text)).toMatchObject({ action: 'allow', findings: [] });
  });

  it('two runs that each stay under the threshold do not add up', () => {
    const text = `${personaWords(0, 8)} and so on; ${personaWords(20, 8)}.`;
    expect(leaks(text)).toEqual([]);
  });

  it('finds leaks in a long reply in time linear in its length', () => {
    const detector = createSystemPromptLeakDetector({ canary: CANARY, prompts: PROMPTS });
    const filler = 'you are the assistant of the page and the visitor is a peer '.repeat(8_000);
    const started = performance.now();
    const found = detector.detect(`${filler}${PERSONA.toLowerCase()}`, { direction: 'output' });
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(found.map((m) => m.rule)).toEqual(['system_prompt_leak.verbatim.v1']);
  });

  it('runs with prompts only, canary only, or a repetitive prompt', () => {
    expect(createSystemPromptLeakDetector({ prompts: PROMPTS }).detect(CANARY, { direction: 'output' })).toEqual([]);
    expect(createSystemPromptLeakDetector({ canary: CANARY, prompts: [] }).detect(PERSONA.toLowerCase(), { direction: 'output' })).toEqual([]);
    const repetitive = createSystemPromptLeakDetector({ prompts: ['a '.repeat(5_000)] });
    expect(repetitive.detect('a '.repeat(20), { direction: 'output' })).toEqual([{ rule: 'system_prompt_leak.verbatim.v1', start: 0, end: 39 }]);
  });

  it('without the deployment options, the default detectors do not include it', () => {
    expect(createDetectors().some((d) => d.category === 'system_prompt_leak')).toBe(false);
  });
});
