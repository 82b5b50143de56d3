import type { ViewName } from '../normalize.js';
import type { Category, Direction, Language } from '../types.js';

/** A hit in the view the detector ran on; the engine maps it back to the submitted text. */
export interface DetectorMatch {
  rule: string;
  start: number;
  end: number;
}

export interface DetectContext {
  direction: Direction;
  /** The caller's language, a hint only: phrase detectors check every language they know. */
  language?: Language | undefined;
}

/**
 * - `span` detectors locate a value (an email, a key) that redaction replaces; their findings
 *   compete for characters and the higher `priority` wins an overlap (a card number is not also a phone).
 * - `signal` detectors flag intent (prompt injection); they neither suppress nor get suppressed,
 *   so no value can be crafted to hide an attack.
 */
export type DetectorKind = 'span' | 'signal';

export interface Detector {
  readonly category: Category;
  readonly kind: DetectorKind;
  readonly view: ViewName;
  readonly priority: number;
  detect(text: string, context: DetectContext): DetectorMatch[];
}

/** Every match of a global regex, as spans; `accept` can veto one (checksums, placeholders). */
export function matchAll(
  pattern: RegExp,
  text: string,
  rule: string,
  accept: (value: string) => boolean = () => true,
): DetectorMatch[] {
  const found: DetectorMatch[] = [];
  for (const m of text.matchAll(pattern)) {
    if (accept(m[0])) found.push({ rule, start: m.index, end: m.index + m[0].length });
  }
  return found;
}
