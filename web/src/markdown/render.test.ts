import { afterEach, describe, expect, it } from 'vitest';
import { createHighlighter } from './highlight';
import { createMarkdownRenderer, stabilizeStreamingText } from './render';
import { createSanitizer } from './sanitize';

const renderer = createMarkdownRenderer({ highlight: createHighlighter() });
// What every payload tries to run. Inline handlers in vitest's jsdom run against jsdom's inner
// global, not the test's `window`, so the flag lives in the shared DOM instead of window.__xss.
const X = 'document.body.dataset.xss=1';
const xssRan = () => document.body.dataset.xss !== undefined;

// Written here rather than imported from sanitize.ts, so a widened allowlist fails this test.
const ALLOWED_ELEMENTS = new Set(
  'a blockquote br code del em h1 h2 h3 h4 h5 h6 hr li ol p pre s span strong table tbody td th thead tr ul'.split(' '),
);
const ALLOWED_ATTRIBUTES = new Set(['href', 'title', 'class', 'start', 'rel', 'target']);
const ACTIVE_ELEMENTS = 'script, iframe, frame, object, embed, form, input, button, style, link, meta, base, img, svg, math, video, audio, template, noscript';
const EVENTS = ['click', 'dblclick', 'mouseover', 'mouseenter', 'focus', 'focusin', 'error', 'load', 'toggle', 'animationstart', 'pointerdown', 'keydown'];

/** Structural checks: only allowlisted elements and attributes, only http(s)/mailto links. */
function expectInert(root: ParentNode): void {
  expect(root.querySelectorAll(ACTIVE_ELEMENTS)).toHaveLength(0);
  for (const el of root.querySelectorAll('*')) {
    expect(ALLOWED_ELEMENTS, `element <${el.localName}>`).toContain(el.localName);
    for (const attr of el.attributes) {
      expect(attr.name, `attribute on <${el.localName}>`).not.toMatch(/^on/i);
      expect(ALLOWED_ATTRIBUTES, `attribute ${attr.name} on <${el.localName}>`).toContain(attr.name);
    }
    if (el.hasAttribute('href')) {
      const href = el.getAttribute('href') ?? '';
      expect(href).toMatch(/^(?:https?:\/\/|mailto:)/i);
      expect(['http:', 'https:', 'mailto:']).toContain(new URL(href).protocol);
      expect(el.getAttribute('rel')).toBe('noopener noreferrer');
      expect(el.getAttribute('target')).toBe('_blank');
    }
  }
}

/**
 * Puts `nodes` into the live document (vitest's jsdom runs inline handlers) and fires the events
 * payloads hook into; anything of theirs that runs sets the flag X sets.
 */
function mountAndPoke(nodes: Node): void {
  const host = document.createElement('div');
  document.body.append(host);
  host.append(nodes);
  const stopNavigation = (event: Event) => event.preventDefault();
  document.addEventListener('click', stopNavigation, true);
  try {
    for (const el of [host, ...host.querySelectorAll('*')]) {
      for (const type of EVENTS) el.dispatchEvent(new Event(type, { bubbles: true, cancelable: true }));
    }
  } finally {
    document.removeEventListener('click', stopNavigation, true);
  }
}

function parse(html: string): HTMLElement {
  const div = document.createElement('div');
  div.innerHTML = html;
  return div;
}

afterEach(() => {
  delete document.body.dataset.xss;
  document.body.replaceChildren();
});

// Each payload is model output trying to run X or leave an active element behind.
const PAYLOADS: [name: string, markdown: string][] = [
  // Raw HTML: markdown-it (html: false) must escape it, DOMPurify must drop it.
  ['script tag', `<script>${X}</script>`],
  ['img onerror', `<img src=x onerror="${X}">`],
  ['mixed-case IMG with javascript src', `<IMG SRC=JaVaScRiPt:${X}>`],
  ['svg onload', `<svg onload="${X}">`],
  ['script inside svg', `<svg><script>${X}</script></svg>`],
  ['svg animate onbegin', `<svg><animate onbegin=${X} attributeName=x dur=1s>`],
  ['iframe javascript src', `<iframe src="javascript:${X}"></iframe>`],
  ['iframe srcdoc', `<iframe srcdoc="<script>${X}</script>"></iframe>`],
  ['form with javascript action', `<form action="javascript:${X}"><button>go</button></form>`],
  ['input autofocus onfocus', `<input autofocus onfocus="${X}">`],
  ['details ontoggle', `<details open ontoggle="${X}">`],
  ['body onload', `<body onload="${X}">`],
  ['object data', `<object data="javascript:${X}"></object>`],
  ['embed src', `<embed src="javascript:${X}">`],
  ['style url()', `<div style="background:url(javascript:${X})">x</div>`],
  ['style expression()', `<div style="width: expression(${X})">x</div>`],
  ['style element', `<style>@import 'javascript:${X}';</style>`],
  ['raw anchor with javascript href', `<a href="javascript:${X}">click</a>`],
  ['raw anchor with entity-encoded scheme', `<a href="&#106;avascript:${X}">click</a>`],
  ['raw anchor with tab in scheme', `<a href="jav&#x09;ascript:${X}">click</a>`],
  ['raw anchor with onclick', `<a href="https://example.com" onclick="${X}">x</a>`],
  ['nested, unbalanced script', `<<script>script>${X}<</script>/script>`],
  ['split script tag', `<scr<script>ipt>${X}</script>`],
  ['unclosed tags with handler', `<b onmouseover="${X}">unclosed <i>italic`],
  ['math href', `<math href="javascript:${X}">x</math>`],
  ['isindex', `<isindex type=image src=1 onerror=${X}>`],
  ['xmp', `<xmp><img src=x onerror=${X}></xmp>`],
  // Mutation XSS classics (namespace confusion, parser differentials).
  ['mXSS math/mglyph/style', `<math><mtext><table><mglyph><style><img src=x onerror="${X}">`],
  ['mXSS noscript title', `<noscript><p title="</noscript><img src=x onerror=${X}>">`],
  ['mXSS template', `<template><script>${X}</script></template>`],
  ['mXSS svg/p/style', `<svg></p><style><a id="</style><img src=1 onerror=${X}>">`],
  ['mXSS form/math', `<form><math><mtext></form><form><mglyph><style></math><img src onerror=${X}>`],
  // Markdown links in every form.
  ['inline link javascript:', `[click](javascript:${X})`],
  ['inline link mixed case', `[click](JaVaScRiPt:${X})`],
  ['inline link with tab in scheme', `[click](<java\tscript:${X}>)`],
  ['inline link with leading control character', `[click](\u0001javascript:${X})`],
  ['inline link decimal entity', `[click](&#106;avascript:${X})`],
  ['inline link hex entity', `[click](&#x6A;avascript:${X})`],
  ['inline link named entity colon', `[click](javascript&colon;${X})`],
  ['inline link percent-encoded scheme', `[click](%6Aavascript:${X})`],
  ['inline link javascript comment newline', `[click](javascript://%0A${X})`],
  ['inline link vbscript:', '[click](vbscript:msgbox(1))'],
  ['inline link data:', '[click](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTwvc2NyaXB0Pg==)'],
  ['inline link file:', '[click](file:///etc/passwd)'],
  ['protocol-relative link', '[click](//evil.example/x)'],
  ['reference link javascript:', `[click][x]\n\n[x]: javascript:${X}`],
  ['reference link in angle brackets, upper case', `[click]\n\n[click]: <JAVASCRIPT:${X}> "title"`],
  ['autolink javascript:', `<javascript:${X}>`],
  ['autolink vbscript:', '<vbscript:msgbox(1)>'],
  ['autolink data:', `<data:text/html,<script>${X}</script>>`],
  ['linkify javascript:', `see javascript:${X} now`],
  ['linkify with quote breaking out of href', `visit http://example.com/"onmouseover="${X}" now`],
  ['link title attribute injection (double quotes)', `[t](https://example.com "title\\" onmouseover=\\"${X}")`],
  ['link title attribute injection (single quotes)', `[t](https://example.com 'a" onclick="${X}')`],
  ['link with script in query', `[click](https://example.com/?q=<script>${X}</script>)`],
  ['link followed by raw img', `[x](https://example.com)<img src=x onerror=${X}>`],
  // Images: never an <img>.
  ['image with javascript src', `![x](javascript:${X})`],
  ['image alt injection', `![x" onerror="${X}](https://example.com/a.png)`],
  ['image title injection', `![x](https://example.com/a.png "t\\" onerror=\\"${X}")`],
  ['image with data: src', '![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)'],
  // Code: stays text.
  ['fence info string attribute injection', `\`\`\`js" onmouseover="${X}\nx\n\`\`\``],
  ['fence info string with class breakout', `\`\`\`"><img src=x onerror=${X}>\nx\n\`\`\``],
  ['highlighted html fence with script', `\`\`\`html\n<script>${X}</script>\n<img src=x onerror="${X}">\n\`\`\``],
  ['anchor inside inline code', `\`<a href="javascript:${X}">x</a>\``],
  ['anchor inside fenced code', `\`\`\`\n<a href="javascript:${X}">x</a>\n\`\`\``],
  ['html in table cell', `| a |\n|---|\n| <img src=x onerror=${X}> |`],
  ['html inside emphasis', `**<script>${X}</script>**`],
  // Very long and deeply nested inputs.
  ['20k opening brackets then a javascript link', `${'['.repeat(20_000)}](javascript:${X})`],
  ['50k less-than signs', '<'.repeat(50_000)],
  ['50k asterisks', '*'.repeat(50_000)],
  ['5k nested blockquotes', `${'> '.repeat(5_000)}<img src=x onerror=${X}>`],
  ['long line of backticks', '`'.repeat(10_000)],
];

describe('rendering untrusted markdown', () => {
  it('has a real set of payloads', () => {
    expect(PAYLOADS.length).toBeGreaterThanOrEqual(40);
  });

  it.each(PAYLOADS)('%s: leaves no active element or unsafe link', (_name, markdown) => {
    expectInert(parse(renderer.toHtml(markdown)));
    expectInert(parse(renderer.toHtml(markdown, { streaming: true })));
    const fragment = renderer.toFragment(markdown);
    expectInert(fragment);
  });

  it.each(PAYLOADS)('%s: runs nothing once mounted in the document', (_name, markdown) => {
    mountAndPoke(renderer.toFragment(markdown));
    mountAndPoke(parse(renderer.toHtml(markdown)));
    expect(xssRan()).toBe(false);
  });

  it.each(PAYLOADS)('%s: is also neutralized by the sanitizer alone, as raw HTML', (_name, html) => {
    const sanitizer = createSanitizer();
    expectInert(sanitizer.toFragment(html));
    expectInert(parse(sanitizer.toHtml(html)));
    mountAndPoke(sanitizer.toFragment(html));
    expect(xssRan()).toBe(false);
  });

  // Guards against a harness that cannot fail.
  it('the harness notices an active element and a handler that runs', () => {
    const raw = parse(`<img src=x onerror="${X}"><a href="javascript:${X}">x</a>`);
    expect(() => expectInert(raw)).toThrow();
    mountAndPoke(parse(`<b onmouseover="${X}">x</b>`));
    expect(xssRan()).toBe(true);
  });
});

describe('rendering markdown', () => {
  it('renders headings, emphasis, strikethrough and inline code', () => {
    const root = parse(renderer.toHtml('# Title\n\n## Sub\n\nSome **bold**, *italic*, ~~gone~~ and `a < b`.'));
    expect(root.querySelector('h1')?.textContent).toBe('Title');
    expect(root.querySelector('h2')?.textContent).toBe('Sub');
    expect(root.querySelector('strong')?.textContent).toBe('bold');
    expect(root.querySelector('em')?.textContent).toBe('italic');
    expect(root.querySelector('s')?.textContent).toBe('gone');
    expect(root.querySelector('code')?.textContent).toBe('a < b');
  });

  it('renders bullet and numbered lists, keeping the start number', () => {
    const root = parse(renderer.toHtml('- one\n- two\n\n3. three\n4. four'));
    expect([...root.querySelectorAll('ul > li')].map((li) => li.textContent)).toEqual(['one', 'two']);
    expect(root.querySelector('ol')?.getAttribute('start')).toBe('3');
    expect(root.querySelectorAll('ol > li')).toHaveLength(2);
  });

  it('renders tables with alignment as classes, not styles', () => {
    const root = parse(renderer.toHtml('| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |'));
    expect([...root.querySelectorAll('th')].map((th) => th.className)).toEqual(['md-align-left', 'md-align-center', 'md-align-right']);
    expect(root.querySelectorAll('tbody td')).toHaveLength(3);
    expect(root.querySelector('[style]')).toBeNull();
  });

  it('keeps single line breaks, as people write them in chat', () => {
    const root = parse(renderer.toHtml('roses are red\nviolets are blue'));
    expect(root.querySelectorAll('p br')).toHaveLength(1);
  });

  it('highlights a fenced block in the language the fence names', () => {
    const root = parse(renderer.toHtml('```python\ndef greet(name):\n    return "hi " + name\n```'));
    const code = root.querySelector('pre > code');
    expect(code?.className).toBe('language-python');
    expect(code?.querySelector('.hljs-keyword')?.textContent).toBe('def');
    expect(code?.querySelector('.hljs-string')?.textContent).toBe('"hi "');
    expect(code?.textContent).toBe('def greet(name):\n    return "hi " + name\n');
  });

  it('resolves language aliases (ts, sh, yml)', () => {
    for (const lang of ['ts', 'sh', 'yml', 'html', 'rs']) {
      const root = parse(renderer.toHtml(`\`\`\`${lang}\nconst x: number = 1 # <b>\n\`\`\``));
      expect(root.querySelector('pre > code span[class^="hljs-"]'), lang).not.toBeNull();
    }
  });

  it('does not guess: code without a language, or an unknown one, stays plain', () => {
    const plain = parse(renderer.toHtml('```\nconst x = 1;\n```'));
    expect(plain.querySelector('pre > code')?.hasAttribute('class')).toBe(false);
    expect(plain.querySelector('span')).toBeNull();
    const unknown = parse(renderer.toHtml('```brainfuck\n+++.\n```'));
    expect(unknown.querySelector('pre > code')?.className).toBe('language-brainfuck');
    expect(unknown.querySelector('span')).toBeNull();
  });

  it('renders code as text, not markup', () => {
    const root = parse(renderer.toHtml('```html\n<b onclick="x">hi</b>\n```'));
    expect(root.querySelector('b')).toBeNull();
    expect(root.querySelector('code')?.textContent).toBe('<b onclick="x">hi</b>\n');
  });

  it('opens links in a new tab without an opener or referrer', () => {
    const root = parse(renderer.toHtml('[docs](https://example.com/docs "The docs") and <https://example.org>'));
    const links = [...root.querySelectorAll('a')];
    expect(links.map((a) => a.getAttribute('href'))).toEqual(['https://example.com/docs', 'https://example.org']);
    expect(links[0]?.getAttribute('title')).toBe('The docs');
    for (const a of links) {
      expect(a.getAttribute('rel')).toBe('noopener noreferrer');
      expect(a.getAttribute('target')).toBe('_blank');
    }
  });

  it('turns bare http(s) URLs and e-mail addresses into links', () => {
    const root = parse(renderer.toHtml('See https://example.com/a_b?c=d or write to help@example.com.'));
    expect([...root.querySelectorAll('a')].map((a) => a.getAttribute('href'))).toEqual(['https://example.com/a_b?c=d', 'mailto:help@example.com']);
  });

  it('leaves relative and other-scheme links as plain text', () => {
    const root = parse(renderer.toHtml('[home](/) [top](#top) [ftp](ftp://example.com/file)'));
    expect(root.querySelector('a')).toBeNull();
    expect(root.textContent).toContain('[home](/)');
  });

  it('shows an image as a link to it, never as an <img>', () => {
    const root = parse(renderer.toHtml('![A cat on a mat](https://example.com/cat.png) ![](https://example.com/dog.png)'));
    expect(root.querySelector('img')).toBeNull();
    const links = [...root.querySelectorAll('a')];
    expect(links.map((a) => [a.textContent, a.getAttribute('href')])).toEqual([
      ['A cat on a mat', 'https://example.com/cat.png'],
      ['https://example.com/dog.png', 'https://example.com/dog.png'],
    ]);
  });

  it('shows an image inside a link as that link with the alt text', () => {
    const root = parse(renderer.toHtml('[![badge](https://example.com/b.svg)](https://example.com/ci)'));
    expect(root.querySelector('img')).toBeNull();
    expect(root.querySelector('a a')).toBeNull();
    expect(root.querySelector('a')?.getAttribute('href')).toBe('https://example.com/ci');
    expect(root.querySelector('a')?.textContent).toBe('badge');
  });

  it('keeps only the classes the renderer itself emits', () => {
    const sanitizer = createSanitizer();
    const root = parse(sanitizer.toHtml('<p class="code-block-copy hljs-keyword evil">x</p><code class="language-js parley-widget">y</code>'));
    expect(root.querySelector('p')?.className).toBe('hljs-keyword');
    expect(root.querySelector('code')?.className).toBe('language-js');
  });
});

describe('rendering while streaming', () => {
  it('renders an unclosed fence as a code block, unhighlighted until it closes', () => {
    const growing = parse(renderer.toHtml('Here:\n\n```js\nconst a = 1;\nconst b', { streaming: true }));
    expect(growing.querySelector('pre > code')?.textContent).toBe('const a = 1;\nconst b');
    expect(growing.querySelector('pre span')).toBeNull();

    const closed = parse(renderer.toHtml('Here:\n\n```js\nconst a = 1;\n```\n\nAnd', { streaming: true }));
    expect(closed.querySelector('pre .hljs-keyword')).not.toBeNull();
  });

  it('highlights earlier, closed fences while a later one is still growing', () => {
    const root = parse(renderer.toHtml('```js\nlet a;\n```\n\n```python\ndef', { streaming: true }));
    const [first, second] = root.querySelectorAll('pre > code');
    expect(first?.querySelector('.hljs-keyword')).not.toBeNull();
    expect(second?.querySelector('span')).toBeNull();
  });

  it('highlights the last fence once the reply has ended', () => {
    const root = parse(renderer.toHtml('```js\nconst a', { streaming: false }));
    expect(root.querySelector('pre .hljs-keyword')).not.toBeNull();
  });

  it('hides a half-typed fence marker and a half-typed language name', () => {
    expect(stabilizeStreamingText('Look:\n``')).toBe('Look:\n');
    expect(stabilizeStreamingText('Look:\n```pyth')).toBe('Look:\n```');
    expect(stabilizeStreamingText('Look:\n```python\n')).toBe('Look:\n```python\n');
    expect(stabilizeStreamingText('Look: `code`')).toBe('Look: `code`');
    const root = parse(renderer.toHtml('Look:\n``', { streaming: true }));
    expect(root.textContent?.trim()).toBe('Look:');
  });
});
