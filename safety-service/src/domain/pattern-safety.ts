/**
 * Shape checks that keep an operator's regex from backtracking catastrophically on a hostile
 * text. V8's engine backtracks, so the dangerous shapes are refused at load time instead:
 * backreferences, a repeated group that itself repeats or alternates (`(a+)+`, `(a|ab)*`,
 * `(\d+){3}`), and huge counted repetitions. An optional group (`(-\d+)?`) is fine: it
 * doubles the paths once, it does not multiply them per character.
 */

/** Longest pattern source accepted; deny-lists are words and ids, not grammars. */
export const MAX_PATTERN_LENGTH = 200;
const MAX_REPEAT = 1000;

interface Frame {
  repeats: boolean;
  alternates: boolean;
}

/** Why `source` is refused, or undefined when it is acceptable (and compiles with the `u` flag). */
export function unsafePatternReason(source: string): string | undefined {
  if (source.length > MAX_PATTERN_LENGTH) return `longer than ${MAX_PATTERN_LENGTH} characters`;
  try {
    new RegExp(source, 'u');
  } catch (err) {
    return `not a valid regular expression (${(err as Error).message.replace(/^Invalid regular expression: /, '')})`;
  }
  if (new RegExp(`^(?:${source})$`, 'u').test('')) return 'matches the empty string';

  const stack: Frame[] = [{ repeats: false, alternates: false }];
  /** The atom a quantifier would apply to: a closed group's frame, or a plain atom. */
  let last: Frame | 'atom' | undefined;
  let i = 0;
  const top = (): Frame => stack[stack.length - 1] as Frame;
  while (i < source.length) {
    const ch = source[i] as string;
    if (ch === '\\') {
      const next = source[i + 1] ?? '';
      if (/[1-9]/.test(next) || (next === 'k' && source[i + 2] === '<')) return 'uses a backreference';
      i += 2;
      // \p{...}, \u{...}: the braces belong to the escape, not a quantifier.
      if ((next === 'p' || next === 'P' || next === 'u') && source[i] === '{') i = source.indexOf('}', i) + 1;
      last = 'atom';
      continue;
    }
    if (ch === '[') {
      i += 1;
      while (i < source.length && source[i] !== ']') i += source[i] === '\\' ? 2 : 1;
      i += 1;
      last = 'atom';
      continue;
    }
    if (ch === '(') {
      stack.push({ repeats: false, alternates: false });
      i += 1;
      // Skip the group's kind: (?:  (?=  (?!  (?<=  (?<!  (?<name>  (?i:
      if (source[i] === '?') {
        const kind = /^\?(?:<[=!]|<[^>]*>|[=!:]|[a-z-]+:)/.exec(source.slice(i));
        i += kind ? kind[0].length : 1;
      }
      last = undefined;
      continue;
    }
    if (ch === ')') {
      const closed = stack.pop() as Frame;
      const parent = top();
      parent.repeats ||= closed.repeats;
      last = closed;
      i += 1;
      continue;
    }
    if (ch === '|') {
      top().alternates = true;
      last = undefined;
      i += 1;
      continue;
    }
    const counted = ch === '{' ? /^\{(\d+)(?:,(\d*))?\}/.exec(source.slice(i)) : null;
    if (ch === '*' || ch === '+' || ch === '?' || counted) {
      const optionalOnly = ch === '?' || (counted !== null && counted[1] === '0' && counted[2] === '1');
      if (counted && Math.max(Number(counted[1]), Number(counted[2] || 0)) > MAX_REPEAT) return `repeats more than ${MAX_REPEAT} times`;
      if (typeof last === 'object' && !optionalOnly) {
        if (last.repeats) return 'has a nested quantifier (a repeated group that repeats inside)';
        if (last.alternates) return 'repeats a group with alternatives (use a character class)';
      }
      top().repeats = true;
      i += counted ? counted[0].length : 1;
      // A lazy or possessive-looking suffix belongs to this quantifier.
      if (source[i] === '?') i += 1;
      last = undefined;
      continue;
    }
    last = 'atom';
    i += 1;
  }
  return undefined;
}
