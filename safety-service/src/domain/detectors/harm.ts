import type { Detector } from './detector.js';
import { harmHateDetector } from './harm-hate.js';
import { harmIllicitDetector } from './harm-illicit.js';
import { harmSelfHarmDetector } from './harm-self-harm.js';
import { harmSexualDetector, harmSexualMinorsDetector } from './harm-sexual.js';
import { harmViolenceDetector } from './harm-violence.js';

/** The harm.* detectors, one per category; see each module for what counts as a hit. */
export const HARM_DETECTORS: readonly Detector[] = [
  harmIllicitDetector,
  harmViolenceDetector,
  harmSelfHarmDetector,
  harmSexualMinorsDetector,
  harmSexualDetector,
  harmHateDetector,
];

export {
  harmHateDetector,
  harmIllicitDetector,
  harmSelfHarmDetector,
  harmSexualDetector,
  harmSexualMinorsDetector,
  harmViolenceDetector,
};
