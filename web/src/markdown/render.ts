// Model output -> sanitized DOM. markdown-it parses with raw HTML off and only http(s)/mailto
// links; DOMPurify then enforces a tag/attribute allowlist as a second line of defence.
import MarkdownIt, { type Env, type Token } from 'markdown-it';
import type { WindowLike } from 'dompurify';
import type { Highlight } from './highlight';
import { isSafeUrl } from './safe-url';
import { createSanitizer } from './sanitize';

export interface RenderOptions {
  /** The text is still growing: skip highlighting the block being written, hide half-typed fences. */
  streaming?: boolean;
}

export interface MarkdownRenderer {
  /** Sanitized nodes of the given window's document, ready to insert. */
  toFragment(markdown: string, options?: RenderOptions): DocumentFragment;
  /** The same, serialized (tests, and hosts that want a string). */
  toHtml(markdown: string, options?: RenderOptions): string;
  /** Highlighting is optional and may arrive later (highlight.js is loaded on demand). */
  setHighlight(highlight: Highlight | null): void;
}

export interface MarkdownRendererOptions {
  window?: WindowLike;
  highlight?: Highlight | null;
}

interface RenderEnv extends Env {
  streaming: boolean;
}

const LANGUAGE_NAME = /^[a-z0-9+#._-]{1,32}$/;

/** The fence's language ("```TypeScript title=x" -> "typescript"), or null when absent or odd. */
export function fenceLanguage(info: string, unescape: (s: string) => string = (s) => s): string | null {
  const name = unescape(info).trim().split(/\s+/)[0]?.toLowerCase() ?? '';
  return LANGUAGE_NAME.test(name) ? name : null;
}

/**
 * While streaming, the last line may be a fence marker still being typed: "``" would show as
 * text and then turn into a code block, "```pyth" would change language mid-word. Hide such a
 * half line until it is complete, so the output only ever grows.
 */
export function stabilizeStreamingText(text: string): string {
  const lineStart = text.lastIndexOf('\n') + 1;
  const lastLine = text.slice(lineStart);
  if (/^ {0,3}(?:`{1,2}|~{1,2})$/.test(lastLine)) return text.slice(0, lineStart);
  const opener = /^( {0,3}(?:`{3,}|~{3,}))[^`~]+$/.exec(lastLine);
  if (opener) return text.slice(0, lineStart) + opener[1];
  return text;
}

export function createMarkdownRenderer(options: MarkdownRendererOptions = {}): MarkdownRenderer {
  const sanitizer = createSanitizer(options.window);
  let highlight = options.highlight ?? null;

  const md = new MarkdownIt({ html: false, linkify: true, typographer: false, breaks: true });
  const { escapeHtml, unescapeAll } = md.utils;
  md.validateLink = isSafeUrl;

  md.renderer.rules.fence = (tokens, idx, _options, env) => {
    const token = tokens[idx] as Token;
    const language = fenceLanguage(token.info, unescapeAll);
    // While streaming, the fence that ends the text is the one still being written: its
    // content changes every frame, so it is highlighted once it is closed or the reply ends.
    const growing = (env as RenderEnv).streaming && tokens.slice(idx + 1).every((t) => t.nesting === -1);
    const highlighted = language !== null && !growing && highlight !== null ? highlight(token.content, language) : null;
    const attrs = language === null ? '' : ` class="language-${escapeHtml(language)}"`;
    return `<pre><code${attrs}>${highlighted ?? escapeHtml(token.content)}</code></pre>\n`;
  };

  // No remote images (tracking pixels, layout jumps): the picture becomes a link to it, or just
  // its alt text inside another link (links cannot nest).
  md.renderer.rules.image = (tokens, idx, opts, env, self) => {
    const token = tokens[idx] as Token;
    const alt = self.renderInlineAsText(token.children ?? [], opts, env).trim();
    const src = String(token.attrGet('src') ?? '');
    let depth = 0;
    for (const t of tokens.slice(0, idx)) depth += t.type === 'link_open' ? 1 : t.type === 'link_close' ? -1 : 0;
    const text = escapeHtml(alt !== '' ? alt : src);
    return depth === 0 && isSafeUrl(src) ? `<a href="${escapeHtml(src)}">${text}</a>` : text;
  };

  // Table alignment arrives as style="text-align:..."; styles are not allowed, classes are.
  md.core.ruler.push('parley_table_align', (state) => {
    for (const token of state.tokens) {
      if (token.type !== 'th_open' && token.type !== 'td_open') continue;
      const align = /^text-align:(left|center|right)$/.exec(String(token.attrGet('style') ?? ''))?.[1];
      token.attrs = align === undefined ? null : [['class', `md-align-${align}`]];
    }
  });

  const toMarkup = (markdown: string, { streaming = false }: RenderOptions = {}): string => {
    const env: RenderEnv = { streaming };
    return md.render(streaming ? stabilizeStreamingText(markdown) : markdown, env);
  };

  return {
    toFragment: (markdown, renderOptions) => sanitizer.toFragment(toMarkup(markdown, renderOptions)),
    toHtml: (markdown, renderOptions) => sanitizer.toHtml(toMarkup(markdown, renderOptions)),
    setHighlight(next) {
      highlight = next;
    },
  };
}
