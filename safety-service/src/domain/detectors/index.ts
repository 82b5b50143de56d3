import { apiKeyDetector } from './api-key.js';
import { creditCardDetector } from './credit-card.js';
import type { Detector } from './detector.js';
import { emailDetector } from './email.js';
import { HARM_DETECTORS } from './harm.js';
import { ibanDetector } from './iban.js';
import { injectionBase64Detector } from './injection-base64.js';
import { ipAddressDetector } from './ip-address.js';
import { nationalIdDetector } from './national-id.js';
import { phoneDetector } from './phone.js';
import { privateKeyDetector } from './private-key.js';
import { promptInjectionDetector } from './prompt-injection.js';
import { awsSecretKeyDetector } from './secret-aws.js';
import { genericSecretDetector } from './secret-generic.js';

export type { DetectContext, Detector, DetectorKind, DetectorMatch } from './detector.js';

/** The first detector set; the policy decides which of them run in each direction. */
export const DEFAULT_DETECTORS: readonly Detector[] = [
  privateKeyDetector,
  apiKeyDetector,
  awsSecretKeyDetector,
  genericSecretDetector,
  creditCardDetector,
  ibanDetector,
  emailDetector,
  nationalIdDetector,
  phoneDetector,
  ipAddressDetector,
  promptInjectionDetector,
  injectionBase64Detector,
  ...HARM_DETECTORS,
];

export {
  apiKeyDetector,
  awsSecretKeyDetector,
  genericSecretDetector,
  creditCardDetector,
  emailDetector,
  ibanDetector,
  ipAddressDetector,
  nationalIdDetector,
  phoneDetector,
  privateKeyDetector,
  promptInjectionDetector,
  injectionBase64Detector,
  HARM_DETECTORS,
};
