import { describe, expect, it } from 'vitest';
import { LANGUAGES, loadMessages, pickLanguage } from './index';

type Tree = { [key: string]: string | Tree };

function keys(tree: Tree, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([k, v]) => (typeof v === 'string' ? [`${prefix}${k}`] : keys(v, `${prefix}${k}.`)));
}

describe('locales', () => {
  const messages = loadMessages();

  it('has the same keys in English, German and French', () => {
    const all = new Set(LANGUAGES.flatMap((lang) => keys(messages[lang])));
    expect(all.size).toBeGreaterThan(0);
    for (const lang of LANGUAGES) {
      const mine = new Set(keys(messages[lang]));
      expect([...all].filter((k) => !mine.has(k)), `keys missing in ${lang}`).toEqual([]);
    }
  });

  it('has no empty message', () => {
    for (const lang of LANGUAGES) {
      const tree = messages[lang];
      const empty = keys(tree).filter((k) => {
        const value = k.split('.').reduce<string | Tree | undefined>((node, part) => (typeof node === 'object' ? node[part] : undefined), tree);
        return typeof value !== 'string' || value.trim() === '';
      });
      expect(empty, `empty messages in ${lang}`).toEqual([]);
    }
  });

  it('uses the same placeholders in every language', () => {
    const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of keys(messages.en)) {
      const en = key.split('.').reduce<string | Tree | undefined>((node, part) => (typeof node === 'object' ? node[part] : undefined), messages.en) as string;
      for (const lang of LANGUAGES) {
        const other = key.split('.').reduce<string | Tree | undefined>((node, part) => (typeof node === 'object' ? node[part] : undefined), messages[lang]);
        if (typeof other === 'string') expect(placeholders(other), `${lang}: ${key}`).toEqual(placeholders(en));
      }
    }
  });
});

describe('pickLanguage', () => {
  it('takes the first supported primary tag', () => {
    expect(pickLanguage(['de-CH', 'en'])).toBe('de');
    expect(pickLanguage(['es', 'fr-CA'])).toBe('fr');
    expect(pickLanguage(['es', undefined, null])).toBe('en');
  });
});
