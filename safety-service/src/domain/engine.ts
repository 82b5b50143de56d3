import { createViews } from './normalize.js';
import { DEFAULT_DETECTORS } from './detectors/index.js';
import type { Detector } from './detectors/detector.js';
import { createCustomDetectors } from './custom-rules.js';
import { DEFAULT_POLICY, actionOf, createAllowList, minScoreFor, placeholderFor, ruleFor, stricter, type Policy } from './policy.js';
import type { Action, Finding, ModerationRequest, ModerationResult } from './types.js';

export interface Moderator {
  readonly policyVersion: string;
  moderate(request: ModerationRequest): ModerationResult;
}

export interface ModeratorOptions {
  policy?: Policy;
  /** The built-in detectors to run; the policy's `custom` deny-lists are added to them. */
  detectors?: readonly Detector[];
}

interface Candidate extends Finding {
  kind: Detector['kind'];
  priority: number;
}

/**
 * Span findings compete for characters: the higher priority wins, then the longer match, then
 * the earlier one. Signal findings are kept as they are.
 */
function resolveOverlaps(candidates: Candidate[]): Candidate[] {
  const spans = candidates
    .filter((c) => c.kind === 'span')
    .sort((a, b) => b.priority - a.priority || b.end - b.start - (a.end - a.start) || a.start - b.start);
  const kept: Candidate[] = [];
  for (const span of spans) {
    if (!kept.some((k) => span.start < k.end && k.start < span.end)) kept.push(span);
  }
  const signals = candidates.filter((c) => c.kind === 'signal');
  return [...kept, ...signals].sort((a, b) => a.start - b.start || a.end - b.end);
}

/** Replaces each span with its placeholder; overlapping spans merge into the first one's placeholder. */
function redact(text: string, spans: readonly { start: number; end: number; placeholder: string }[]): string {
  const ordered = [...spans].sort((a, b) => a.start - b.start);
  let out = '';
  let cursor = 0;
  for (const span of ordered) {
    if (span.end <= cursor) continue;
    out += text.slice(cursor, Math.max(cursor, span.start));
    if (span.start >= cursor) out += span.placeholder;
    cursor = span.end;
  }
  return out + text.slice(cursor);
}

/** The moderation engine: pure, synchronous, no I/O; one instance serves every request. */
export function createModerator(options: ModeratorOptions = {}): Moderator {
  const policy = options.policy ?? DEFAULT_POLICY;
  const detectors = [...(options.detectors ?? DEFAULT_DETECTORS), ...createCustomDetectors(policy)];
  const allowListed = createAllowList(policy);

  return {
    policyVersion: policy.version,
    moderate({ text, direction, language }) {
      const view = createViews(text);
      const candidates: Candidate[] = [];
      for (const detector of detectors) {
        if (ruleFor(policy, detector.category, direction) === 'off') continue;
        const { text: viewed, toOriginal } = view(detector.view);
        for (const match of detector.detect(viewed, { direction, language })) {
          const { start, end } = toOriginal(match.start, match.end);
          if (end <= start) continue;
          // Allow-listed values drop out before overlaps are settled, so they cannot hide anything.
          if (allowListed(detector.category, text.slice(start, end))) continue;
          // A detector that scores its hits (harm) may attach the score; the policy sets the bar.
          if ('score' in match && typeof match.score === 'number' && match.score < minScoreFor(policy, detector.category)) continue;
          candidates.push({ category: detector.category, rule: match.rule, start, end, kind: detector.kind, priority: detector.priority });
        }
      }
      const kept = resolveOverlaps(candidates);

      let action: Action = 'allow';
      for (const finding of kept) action = stricter(action, actionOf(ruleFor(policy, finding.category, direction)));
      const redacted =
        action === 'redact'
          ? redact(
              text,
              kept
                .filter((f) => ruleFor(policy, f.category, direction) === 'redact')
                .map((f) => ({ start: f.start, end: f.end, placeholder: placeholderFor(policy, f.category) })),
            )
          : text;
      return {
        action,
        text: redacted,
        // `allow` findings only held their characters against other spans; `flag` ones are reported.
        findings: kept
          .filter((f) => ruleFor(policy, f.category, direction) !== 'allow')
          .map(({ category, rule, start, end }) => ({ category, rule, start, end })),
        policy_version: policy.version,
      };
    },
  };
}
