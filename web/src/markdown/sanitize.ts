// Second line of defence behind markdown-it (which runs with html: false and its own link
// validation): whatever HTML reaches the DOM passes this strict allowlist first.
import createDOMPurify, { type Config, type WindowLike } from 'dompurify';
import { isSafeUrl } from './safe-url';

/** The elements markdown-it produces for CommonMark + tables + strikethrough, nothing else. */
export const ALLOWED_TAGS = [
  'a', 'blockquote', 'br', 'code', 'del', 'em', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'li', 'ol', 'p',
  'pre', 's', 'span', 'strong', 'table', 'tbody', 'td', 'th', 'thead', 'tr', 'ul',
] as const;

export const ALLOWED_ATTR = ['href', 'title', 'class', 'start'] as const;

// Only classes the renderer itself emits, so model output cannot borrow the widget's own
// class names: highlight.js tokens ("hljs-title", and v11's "class_" / "function_" modifiers),
// the fence language and table alignment.
const ALLOWED_CLASS = /^(?:hljs-[a-z-]+|[a-z]+_+|language-[a-z0-9+#._-]+|md-align-(?:left|center|right))$/;

const CONFIG = {
  ALLOWED_TAGS: [...ALLOWED_TAGS],
  ALLOWED_ATTR: [...ALLOWED_ATTR],
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
  ALLOW_UNKNOWN_PROTOCOLS: false,
  ALLOWED_URI_REGEXP: /^(?:https?:\/\/|mailto:)/i,
  // Attributes outside DOMPurify's URI-safe list must match ALLOWED_URI_REGEXP; start is a number.
  ADD_URI_SAFE_ATTR: ['start'],
  KEEP_CONTENT: true,
} satisfies Config;

export interface Sanitizer {
  /** Sanitized nodes owned by the sanitizer's window's document, ready to insert. */
  toFragment(html: string): DocumentFragment;
  toHtml(html: string): string;
}

export function createSanitizer(window: WindowLike = globalThis.window): Sanitizer {
  // An instance of our own: DOMPurify hooks are per instance, so ours never leak into other code.
  const purify = createDOMPurify(window);
  if (!purify.isSupported) throw new Error('DOMPurify is not supported in this environment');

  purify.addHook('uponSanitizeAttribute', (_node, data) => {
    if (data.attrName === 'class') {
      const kept = data.attrValue.split(/\s+/).filter((name) => ALLOWED_CLASS.test(name));
      data.attrValue = kept.join(' ');
      data.keepAttr = kept.length > 0;
    } else if (data.attrName === 'start') {
      data.keepAttr = /^\d{1,9}$/.test(data.attrValue);
    }
  });

  purify.addHook('afterSanitizeAttributes', (node) => {
    if (node.tagName !== 'A') return;
    const href = node.getAttribute('href');
    if (href !== null && !isSafeUrl(href)) node.removeAttribute('href');
    if (node.hasAttribute('href')) {
      node.setAttribute('rel', 'noopener noreferrer');
      node.setAttribute('target', '_blank');
    }
  });

  return {
    toFragment: (html) => purify.sanitize(html, { ...CONFIG, RETURN_DOM_FRAGMENT: true }),
    toHtml: (html) => purify.sanitize(html, CONFIG),
  };
}
