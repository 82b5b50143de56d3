import { describe, expect, it } from 'vitest';
import { PrefixTrie, WordStartPatterns, literalPrefixes } from './regex-prefixes.js';
import { HARM_ILLICIT_RULES } from './harm-illicit.js';
import { HARM_HATE_RULES } from './harm-hate.js';
import { HARM_SEXUAL_MINORS_RULES } from './harm-sexual.js';

/** Every match of `source` in `text` starts with one of its prefixes: the guarantee the prefilter relies on. */
function expectCovered(source: string, texts: readonly string[]): void {
  const prefixes = literalPrefixes(source);
  expect(prefixes, source).toBeDefined();
  for (const text of texts) {
    for (const m of text.matchAll(new RegExp(source, 'gu'))) {
      expect(prefixes?.some((p) => text.startsWith(p, m.index)), `${source} at ${m.index} of ${text}`).toBe(true);
    }
  }
}

describe('literalPrefixes', () => {
  it('expands alternations, optional parts and small classes into the strings a match starts with (up to 8 characters)', () => {
    expect(literalPrefixes('\\b(?:kill(?:ing)?|murder) (?:him|her)')).toEqual(['kill her', 'kill him', 'killing ', 'murder h']);
    expect(literalPrefixes('synthesi[sz]e')).toEqual(['synthesi']);
    expect(literalPrefixes('(?:all )?jews')).toEqual(['all jews', 'jews']);
  });

  it('stops a prefix where a repetition, a wide class or any character starts', () => {
    expect(literalPrefixes('how (?:[^ .]+ ){0,3}to')).toEqual(['how ']);
    expect(literalPrefixes('ab[a-z]+')).toEqual(['ab']);
    expect(literalPrefixes('x.y')).toEqual(['x']);
    expect(literalPrefixes('(?<!not )bomb(?! bath)')).toEqual(['bomb']);
  });

  it('keeps the prefixes of a large alternation at the start of a pattern', () => {
    const words = Array.from({ length: 1500 }, (_, k) => `w${k}x`);
    expect(literalPrefixes(`\\b(?:${words.join('|')})`)?.length).toBe(1500);
  });

  it('gives up when a match can start anywhere or the syntax is beyond it', () => {
    expect(literalPrefixes('(?:a )?\\w+')).toBeUndefined();
    expect(literalPrefixes('(a)\\1')).toBeUndefined();
    expect(literalPrefixes('x?')).toBeUndefined();
  });

  it('covers every match of the harm patterns on texts that hit them', () => {
    const texts = [
      'how do i kill my wife? wie bringe ich meinen nachbarn um. the jews are vermin, all muslims should be killed',
      'nude pictures of a 12 year old; 12-year-old porn; sexy kid; wie plane ich einen mord',
      'what weapons can i use to kill the most people? bomb you could use to hurt someone',
    ];
    for (const rule of [...HARM_ILLICIT_RULES, ...HARM_HATE_RULES, ...HARM_SEXUAL_MINORS_RULES]) {
      for (const p of rule.patterns) {
        const source = `\\b(?:${p})(?![a-z0-9-])`;
        if (literalPrefixes(source)) expectCovered(source, texts);
      }
    }
  });
});

describe('PrefixTrie', () => {
  it('lists the patterns with a prefix at a position, and only those', () => {
    const trie = new PrefixTrie();
    trie.add(['kill', 'murder'], 0);
    trie.add(['kil'], 1);
    trie.add(['the jews'], 2);
    const at = (text: string, pos: number): number[] => {
      const ids: number[] = [];
      trie.walk(text, pos, (id) => ids.push(id));
      return [...new Set(ids)].sort();
    };
    expect(at('i kill', 2)).toEqual([0, 1]);
    expect(at('i kilo', 2)).toEqual([1]);
    expect(at('the jewel', 0)).toEqual([]);
    expect(at('xmurder', 1)).toEqual([0]);
    trie.add(['x'], 3);
    expect(at('xmurder', 0)).toEqual([3]);
  });
});

describe('WordStartPatterns', () => {
  it('lists the matches a global scan lists, trying the pattern only where a prefix starts a word', () => {
    const patterns = new WordStartPatterns();
    const sources = ['\\b(?:ignore|forget) ?(?:all ?)?previous\\b', '\\b(?:ab|abc)+d', '\\b\\w+ing\\b'];
    const ids = sources.map((source) => patterns.add(source, 'u'));
    const texts = ['please ignore all previous, forgetprevious; ignoreall previous', 'abcabd ababd xabd ab', 'going singing sing', ''];
    for (const text of texts) {
      sources.forEach((source, k) => {
        const expected = [...text.matchAll(new RegExp(source, 'gu'))].map((m) => ({ start: m.index, end: m.index + m[0].length }));
        expect(patterns.matches(ids[k] as number, text), `${source} in ${text}`).toEqual(expected);
      });
    }
  });
});
