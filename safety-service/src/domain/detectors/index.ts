import { apiKeyDetector } from './api-key.js';
import { creditCardDetector } from './credit-card.js';
import type { Detector } from './detector.js';
import { emailDetector } from './email.js';
import { ibanDetector } from './iban.js';
import { phoneDetector } from './phone.js';
import { privateKeyDetector } from './private-key.js';
import { promptInjectionDetector } from './prompt-injection.js';

export type { DetectContext, Detector, DetectorKind, DetectorMatch } from './detector.js';

/** The first detector set; the policy decides which of them run in each direction. */
export const DEFAULT_DETECTORS: readonly Detector[] = [
  privateKeyDetector,
  apiKeyDetector,
  creditCardDetector,
  ibanDetector,
  emailDetector,
  phoneDetector,
  promptInjectionDetector,
];

export {
  apiKeyDetector,
  creditCardDetector,
  emailDetector,
  ibanDetector,
  phoneDetector,
  privateKeyDetector,
  promptInjectionDetector,
};
