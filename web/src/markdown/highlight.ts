// Syntax highlighting for fenced code: highlight.js core with a few common languages, only the
// language the fence names (no auto-detection: it is slow and guesses wrong on short snippets).
// Kept in its own module so the component can load it on demand (see MessageContent.vue).
import hljsCore from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import css from 'highlight.js/lib/languages/css';
import diff from 'highlight.js/lib/languages/diff';
import go from 'highlight.js/lib/languages/go';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import python from 'highlight.js/lib/languages/python';
import rust from 'highlight.js/lib/languages/rust';
import shell from 'highlight.js/lib/languages/shell';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';

/** Returns highlighted, escaped HTML (spans with hljs-* classes), or null for an unknown language. */
export type Highlight = (code: string, language: string) => string | null;

const LANGUAGES = { bash, css, diff, go, java, javascript, json, python, rust, shell, sql, typescript, xml, yaml };

// Finished code blocks are re-rendered on every streamed frame; highlighting each once is enough.
const CACHE_LIMIT = 64;

export function createHighlighter(): Highlight {
  const hljs = hljsCore.newInstance();
  for (const [name, language] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, language);
  const cache = new Map<string, string>();

  return (code, language) => {
    if (hljs.getLanguage(language) === undefined) return null;
    const key = `${language}\u0000${code}`;
    const cached = cache.get(key);
    if (cached !== undefined) return cached;
    const html = hljs.highlight(code, { language, ignoreIllegals: true }).value;
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
    cache.set(key, html);
    return html;
  };
}
