import { Counter } from 'prom-client';
import type { Metrics } from '@parley/platform';
import { RATINGS, type Rating } from './types.js';

const NAME = 'parley_feedback_total';

/** `parley_feedback_total{rating}`: ratings stored (a changed rating counts again). */
export function createFeedbackMetrics(registry: Metrics['registry']): { accepted(rating: Rating): void } {
  const counter =
    (registry.getSingleMetric(NAME) as Counter<'rating'> | undefined) ??
    new Counter({ name: NAME, help: 'Feedback ratings stored, by rating (up, down).', labelNames: ['rating'], registers: [registry] });
  // Pre-registered so dashboards show zeros instead of gaps.
  for (const rating of RATINGS) counter.inc({ rating }, 0);
  return { accepted: (rating) => counter.inc({ rating }) };
}
