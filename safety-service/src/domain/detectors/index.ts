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
import { createSystemPromptLeakDetector, type SystemPromptLeakOptions } from './system-prompt-leak.js';

export type { DetectContext, Detector, DetectorKind, DetectorMatch } from './detector.js';
export { DEFAULT_MIN_RUN_WORDS, createSystemPromptLeakDetector, type SystemPromptLeakOptions } from './system-prompt-leak.js';

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

export interface DetectorOptions {
  /** The deployment's canary and prompts; without them no system_prompt_leak detector runs. */
  systemPromptLeak?: SystemPromptLeakOptions;
}

/** DEFAULT_DETECTORS plus those built from the deployment's configuration. */
export function createDetectors(options: DetectorOptions = {}): readonly Detector[] {
  return options.systemPromptLeak ? [...DEFAULT_DETECTORS, createSystemPromptLeakDetector(options.systemPromptLeak)] : DEFAULT_DETECTORS;
}

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
