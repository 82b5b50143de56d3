// Stands in for the `entities` package in the widget build (vite.widget.config.ts). markdown-it
// needs only decodeHTMLStrict, for named references such as `&copy;`, and the package's full
// HTML entity table costs ~16 KB gzipped, a fifth of the widget's budget. The browser already
// has that table: a <textarea>'s content is raw text, so setting its innerHTML decodes
// references and never creates elements or runs anything.

let scratch: HTMLTextAreaElement | undefined;

/** Decodes one named character reference (`&amp;`), as entities' decodeHTMLStrict does; anything else comes back unchanged. */
export function decodeHTMLStrict(text: string): string {
  if (!/^&[a-z][a-z\d]{1,31};$/i.test(text)) return text;
  scratch ??= document.createElement('textarea');
  scratch.innerHTML = text;
  const decoded = scratch.value;
  // A named reference is one or two code points. Anything longer is the parser's legacy rule
  // decoding a prefix ("&notit;" -> "¬it;"), which strict decoding leaves alone.
  return [...decoded].length <= 2 ? decoded : text;
}
