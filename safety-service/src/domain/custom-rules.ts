import { foldedView } from './normalize.js';
import type { Detector, DetectorMatch } from './detectors/detector.js';
import type { Policy } from './policy.js';

/** Letters and digits: a term matches only as whole words ("ax" is not found in "tax"). */
const WORD_EDGE_BEFORE = '(?<![\\p{L}\\p{N}_])';
const WORD_EDGE_AFTER = '(?![\\p{L}\\p{N}_])';

const escapeRegExp = (value: string): string => value.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

function detectAll(pattern: RegExp, text: string, rule: string): DetectorMatch[] {
  const found: DetectorMatch[] = [];
  for (const m of text.matchAll(pattern)) {
    if (m[0].length > 0) found.push({ rule, start: m.index, end: m.index + m[0].length });
  }
  return found;
}

/**
 * The detectors of a policy's `custom` deny-lists: one for its terms (folded view, so case,
 * accents and look-alike characters do not hide a term) and one for its patterns (canonical
 * view). They are signals: a custom finding neither hides nor is hidden by an overlapping value,
 * so no email or key wrapped around a denied term can smuggle it past a block. Rule ids name the
 * list, never a term, because rules are logged.
 */
export function createCustomDetectors(policy: Policy): Detector[] {
  const detectors: Detector[] = [];
  for (const [name, rule] of Object.entries(policy.custom)) {
    const category = `custom.${name}` as const;
    const terms = [...new Set(rule.terms.map((t) => foldedView(t).text).filter((t) => t.length > 0))]
      // Longest first, so "project x ray" wins over "project x" at the same place.
      .sort((a, b) => b.length - a.length);
    if (terms.length > 0) {
      const pattern = new RegExp(`${WORD_EDGE_BEFORE}(?:${terms.map(escapeRegExp).join('|')})${WORD_EDGE_AFTER}`, 'gu');
      const id = `${category}.term.v1`;
      detectors.push({ category, kind: 'signal', view: 'folded', priority: 20, detect: (text) => detectAll(pattern, text, id) });
    }
    if (rule.patterns.length > 0) {
      const patterns = rule.patterns.map((source) => new RegExp(source, 'gu'));
      const id = `${category}.pattern.v1`;
      detectors.push({
        category,
        kind: 'signal',
        view: 'canonical',
        priority: 20,
        detect: (text) => patterns.flatMap((pattern) => detectAll(pattern, text, id)),
      });
    }
  }
  return detectors;
}
