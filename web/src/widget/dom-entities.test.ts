import { describe, expect, it } from 'vitest';
import { decodeHTMLStrict } from './dom-entities';

describe('the widget build’s DOM-based stand-in for entities’ decodeHTMLStrict', () => {
  it('decodes named references, two-code-point ones included', () => {
    expect(decodeHTMLStrict('&amp;')).toBe('&');
    expect(decodeHTMLStrict('&copy;')).toBe('©');
    expect(decodeHTMLStrict('&nbsp;')).toBe('\u00a0');
    expect(decodeHTMLStrict('&Auml;')).toBe('Ä');
    expect(decodeHTMLStrict('&semi;')).toBe(';');
    expect(decodeHTMLStrict('&ngE;')).toBe('\u2267\u0338');
  });

  it('leaves unknown names and legacy prefixes alone, as strict decoding does', () => {
    for (const text of ['&nope;', '&notit;', '&ampx;', '&lt1;', '&amp', 'amp;', '&#65;']) {
      expect(decodeHTMLStrict(text), text).toBe(text);
    }
  });

  it('never turns its input into markup', () => {
    expect(decodeHTMLStrict('&lt;')).toBe('<');
    expect(decodeHTMLStrict('<img src=x onerror=alert(1)>')).toBe('<img src=x onerror=alert(1)>');
  });
});
