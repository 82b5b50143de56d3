import { matchAll, type Detector } from './detector.js';

export const EMAIL_RULE = 'pii.email.v1';

// Local part: dot-separated atoms; domain: at least one label and an alphabetic TLD (IDN via \p{L}
// or punycode). The look-arounds keep matches from starting or ending inside a longer token.
const LOCAL = String.raw`[\p{L}\p{N}_%+'-]+(?:\.[\p{L}\p{N}_%+'-]+)*`;
const DOMAIN = String.raw`(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?\.)+(?:\p{L}{2,63}|xn--[a-z0-9-]{1,59})`;
const EMAIL = new RegExp(String.raw`(?<![\p{L}\p{N}_%+'.-])${LOCAL}@${DOMAIN}(?![\p{L}\p{N}_-]|\.[\p{L}\p{N}])`, 'gu');

export const emailDetector: Detector = {
  category: 'pii.email',
  kind: 'span',
  view: 'canonical',
  priority: 70,
  detect: (text) => (text.includes('@') ? matchAll(EMAIL, text, EMAIL_RULE) : []),
};
