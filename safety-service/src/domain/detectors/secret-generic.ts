import type { Detector, DetectorMatch } from './detector.js';
import { charClasses, isPlaceholder, isStructuredId, shannonBitsPerChar } from './secret-entropy.js';

export const GENERIC_ASSIGNMENT_RULE = 'secret.api_key.generic_assignment.v1';

/**
 * `password=...`, `api_key: ...`, `"client_secret": "..."`, `Authorization: Bearer ...`: a key whose
 * name says "secret", an assignment, and a value that looks like a credential. Only the value is reported.
 *
 * The scan is keyword-first: a cheap `includes` pre-check, one linear regex for the keywords, then
 * bounded hand-written scanning around each hit (no regex spans the key, the operator and the value).
 */

// Lower-case fragments one of which every key name we care about contains.
const PREFILTER = ['pass', 'pwd', 'secret', 'token', 'key', 'auth', 'credential', 'bearer'];
const KEYWORD = /passw(?:or)?d|pwd|passphrase|secret|token|credential|auth|bearer|key/gi;

const MAX_KEY = 64;
const MAX_VALUE = 300;
const MIN_VALUE = 8;

/** Words (of the key name, split on case and punctuation) that make it a secret's name. */
const SECRET_WORDS = new Set([
  'password', 'passwd', 'pwd', 'pass', 'passphrase', 'secret', 'secrets', 'token', 'credential', 'credentials',
  'apikey', 'auth', 'authorization', 'bearer', 'privatekey', 'secretkey', 'accesskey',
]);
/** Words that, followed by "key", name a secret ("api_key", "access-key", "signingKey"). */
const KEY_QUALIFIERS = new Set([
  'api', 'access', 'secret', 'private', 'auth', 'master', 'encryption', 'signing', 'app', 'client', 'license',
  'account', 'service', 'subscription', 'admin', 'session', 'webhook', 'hmac', 'jwt', 'storage', 'sas',
]);
/** A key that ends in one of these names something about a secret, not the secret ("token_url", "password_length"). */
const NOT_A_VALUE = new Set([
  'type', 'types', 'url', 'uri', 'endpoint', 'name', 'names', 'id', 'ids', 'length', 'len', 'size', 'count',
  'file', 'path', 'dir', 'policy', 'expiry', 'expires', 'expiration', 'ttl', 'timeout', 'limit', 'header',
  'field', 'prompt', 'label', 'hint', 'hash', 'mode', 'enabled', 'enable', 'required', 'min', 'max', 'format',
  'regex', 'pattern', 'rotation', 'version', 'prefix', 'suffix', 'env', 'var', 'ref', 'arn', 'location',
  'provider', 'manager', 'kind', 'usage', 'budget', 'lifetime', 'placeholder', 'description', 'help', 'message',
  'error', 'errors', 'valid', 'validation', 'reset', 'confirmation', 'strength', 'class', 'method', 'flow',
  'scheme', 'style', 'index', 'position', 'key',
]);
// "secret_id" (Vault AppRole) is a secret despite ending in "id".
const SECRET_IDS = new Set(['secret']);

function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z]+/)
    .filter((w) => w.length > 0);
}

/** Whether a key name (`DB_PASSWORD`, `clientSecret`, `X-API-Key`, `spring.datasource.password`) names a secret. */
export function isSecretKeyName(key: string): boolean {
  const words = keyWords(key);
  const last = words[words.length - 1];
  if (last === undefined) return false;
  if (NOT_A_VALUE.has(last)) {
    const beforeLast = words[words.length - 2];
    const keyOfQualifier = last === 'key' && beforeLast !== undefined && KEY_QUALIFIERS.has(beforeLast);
    const secretId = last === 'id' && beforeLast !== undefined && SECRET_IDS.has(beforeLast);
    if (!keyOfQualifier && !secretId) return false;
  }
  return words.some((w, i) => SECRET_WORDS.has(w) || (w === 'key' && i > 0 && KEY_QUALIFIERS.has(words[i - 1] as string)));
}

const isKeyChar = (c: number): boolean =>
  (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x2e || c === 0x2d;
const isBlank = (ch: string | undefined): boolean => ch === ' ' || ch === '\t';
const QUOTES = `"'\``;
/** Characters that end an unquoted value: space, quotes, separators of code, URLs and markup. */
const UNQUOTED_STOP = /[\s"'`,;)(\]}[{<>]/;

/** The assignment operators of code, config, env and markup files, longest first. */
const OPERATORS = [':::=', '::=', '===', '!==', '||=', '??=', ':=', '?=', '+=', '.=', '=>', '==', '=', ':'];
const AUTH_SCHEMES = /^(?:bearer|basic|token|apikey|api-key)[ \t]+/i;

interface ValueSpan {
  start: number;
  end: number;
  quoted: boolean;
}

/** Parses `<close quote><op><open quote>value` after a key ending at `from`; undefined if it is not an assignment. */
function parseAssignment(text: string, keyStart: number, from: number): ValueSpan | undefined {
  let i = from;
  // Closing quote(s) of a quoted or escaped key: "key", \"key\", ['key'].
  for (let k = 0; k < 4 && (QUOTES.includes(text[i] ?? 'x') || text[i] === '\\' || text[i] === ']'); k += 1) i += 1;
  for (let k = 0; k < 5 && isBlank(text[i]); k += 1) i += 1;

  const before = text.slice(Math.max(0, keyStart - 2), keyStart);
  let op = OPERATORS.find((o) => text.startsWith(o, i));
  if (op === undefined) {
    if (text[i] === '>' && before.endsWith('<')) op = '>'; // <apiToken>value</apiToken>
    else if (before === '--' && isBlank(text[from]) && i > from) op = ' '; // --token value
    else if (/^is[ \t]/.test(text.slice(i, i + 3)) && i > from) op = 'is'; // "the password is ..."
    else if (text[i] === '(' && QUOTES.includes(text[i + 1] ?? 'x')) op = '('; // setPassword("...")
    else return undefined;
  }
  if (op !== ' ') i += op.length;
  for (let k = 0; k < 5 && isBlank(text[i]); k += 1) i += 1;
  // YAML block scalars ("token: |") and XML elements may put the value on the next line.
  if ((op === ':' && (text[i] === '|' || text[i] === '>')) || op === '>') {
    let j = op === '>' ? i : i + 1;
    if (text[j] === '-' || text[j] === '+') j += 1;
    for (let k = 0; k < 5 && isBlank(text[j]); k += 1) j += 1;
    if (text[j] === '\r') j += 1;
    if (text[j] === '\n') {
      j += 1;
      for (let k = 0; k < 20 && isBlank(text[j]); k += 1) j += 1;
      i = j;
    }
  }
  const scheme = AUTH_SCHEMES.exec(text.slice(i, i + 16));
  if (scheme) i += scheme[0].length;

  // Opening quote, possibly escaped (JSON inside a string) or prefixed (Python b'', r'').
  if (text[i] === '\\' && QUOTES.includes(text[i + 1] ?? 'x')) i += 1;
  if ((text[i] === 'b' || text[i] === 'r') && QUOTES.includes(text[i + 1] ?? 'x') && op !== ' ') i += 1;
  const quote = QUOTES.includes(text[i] ?? 'x') ? (text[i] as string) : undefined;
  if (quote) {
    const start = i + 1;
    let end = start;
    while (end < text.length && end - start <= MAX_VALUE && text[end] !== quote && text[end] !== '\n' && text[end] !== '\\') end += 1;
    if (text[end] !== quote && text[end] !== '\\') return undefined;
    return { start, end, quoted: true };
  }
  const start = i;
  let end = start;
  // In a URL query ("?access_token=...&x=1") "&" ends the value; elsewhere it may be part of a password.
  const inQuery = text[keyStart - 1] === '?' || text[keyStart - 1] === '&';
  while (end < text.length && end - start <= MAX_VALUE && !UNQUOTED_STOP.test(text[end] as string) && !(inQuery && text[end] === '&')) end += 1;
  // "token = getToken(...)", "password=os.environ[...]": code, not a literal.
  if (text[end] === '(' || text[end] === '[') return undefined;
  return { start, end, quoted: false };
}

// Values that refer to a secret instead of being one.
const REFERENCE = /^(?:\$|%|\{\{|<|@|&|\*|~|\/|\.\/|\.\.\/|[a-z][a-z0-9+.-]*:\/\/|ENC\[|vault:|arn:|sha\d+[:$-])/i;
const REFERENCE_ANYWHERE = /\$\{|\{\{|process\.env|os\.environ|getenv|secrets\.|System\.getenv/i;
const MEMBER_ACCESS = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/;
const IDENTIFIER_CASE = /^(?:[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[a-z][a-z0-9]*(?:_[a-z0-9]+)+|[a-z]+(?:[A-Z][a-z0-9]+)+)$/;
const TOKEN_ALPHABET = /^[A-Za-z0-9+/=_.~:-]+$/;
const NOT_A_SECRET = /^(?:null|none|nil|true|false|undefined|empty|string|str|required|optional|password|secret|token|bearer|[a-z]+)$/i;
const NUMBER_OR_DATE = /^[\d\s.:/+-]+$/;

/** Whether an assigned value is a credential rather than a word, a reference, an id or a placeholder. */
export function looksLikeSecretValue(value: string, quoted: boolean, passwordKey: boolean): boolean {
  if (value.length < MIN_VALUE || value.length > MAX_VALUE) return false;
  if (NOT_A_SECRET.test(value) || NUMBER_OR_DATE.test(value) || isStructuredId(value)) return false;
  if (isPlaceholder(value) || REFERENCE.test(value) || REFERENCE_ANYWHERE.test(value)) return false;
  if (/\s/.test(value)) return false;
  if (!quoted && (MEMBER_ACCESS.test(value) || IDENTIFIER_CASE.test(value))) return false;

  const classes = charClasses(value);
  const bits = shannonBitsPerChar(value);
  const letters = classes.lower + classes.upper;
  // Passwords: short is fine if it mixes character classes the way chosen passwords must.
  const kinds = [classes.lower, classes.upper, classes.digit, classes.other].filter((n) => n > 0).length;
  if (passwordKey && kinds >= 3 && bits >= 2.5 && letters > 0) return true;
  // Generated secrets with punctuation (Django SECRET_KEY): long, three classes or more, high entropy.
  if (value.length >= 16 && kinds >= 3 && bits >= 3.5 && letters > 0) return true;
  // Tokens: long, from a token alphabet, random-looking: digits and letters, or well-mixed case.
  if (value.length < 16 || !TOKEN_ALPHABET.test(value)) return false;
  if (letters === 0) return false;
  const balanced = classes.upper / letters >= 0.2 && classes.lower / letters >= 0.2;
  if (classes.digit === 0 && !balanced) return false;
  // Hex secrets (32+ characters) have at most 4 bits per character; other alphabets more.
  const isHex = /^[0-9a-fA-F]+$/.test(value);
  return bits >= (isHex ? 3 : Math.min(3.5, Math.log2(value.length) - 0.8));
}

const PASSWORD_WORDS = /passw(?:or)?d|pwd|passphrase|pass$/i;

export const genericSecretDetector: Detector = {
  category: 'secret.api_key',
  kind: 'span',
  view: 'canonical',
  // Below provider formats (their rule id is more precise), above PII that a value might contain.
  priority: 88,
  detect(text) {
    const lower = text.toLowerCase();
    if (!PREFILTER.some((word) => lower.includes(word))) return [];
    const found: DetectorMatch[] = [];
    let lastKeyEnd = -1;
    for (const m of text.matchAll(KEYWORD)) {
      if (m.index < lastKeyEnd) continue; // another keyword inside a key already handled
      let start = m.index;
      while (start > 0 && isKeyChar(text.charCodeAt(start - 1)) && m.index - start <= MAX_KEY) start -= 1;
      let end = m.index + m[0].length;
      while (end < text.length && isKeyChar(text.charCodeAt(end)) && end - m.index <= MAX_KEY) end += 1;
      lastKeyEnd = end;
      if (m.index - start > MAX_KEY || end - m.index > MAX_KEY) continue;
      while (text[start] === '-' || text[start] === '.') start += 1;
      const key = text.slice(start, end);
      if (!isSecretKeyName(key)) continue;
      const value = parseAssignment(text, start, end);
      if (!value) continue;
      const passwordKey = PASSWORD_WORDS.test(key.replace(/[^A-Za-z]+$/, ''));
      if (looksLikeSecretValue(text.slice(value.start, value.end), value.quoted, passwordKey)) {
        found.push({ rule: GENERIC_ASSIGNMENT_RULE, start: value.start, end: value.end });
        lastKeyEnd = Math.max(lastKeyEnd, value.end);
      }
    }
    return found;
  },
};
