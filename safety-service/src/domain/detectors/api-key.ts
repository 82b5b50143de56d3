import type { Detector, DetectorMatch } from './detector.js';
import { decodeBase64, hasBalancedCase, looksRandom, type Need } from './secret-entropy.js';

export { looksRandom, type Need } from './secret-entropy.js';

interface KeyRule {
  id: string;
  /**
   * Global regex. Every pattern starts at a token boundary (a lookbehind), and its quantifiers are
   * bounded and never overlap, so matching stays linear in the text length.
   */
  pattern: RegExp;
  /** Says whether a match is a real key, and under which rule id (`undefined`: not a key). */
  check: (match: RegExpExecArray) => string | undefined;
  /** Cheap `includes` pre-check: the rule only runs when the text contains one of these. */
  keywords: readonly string[];
}

// Keys never start or end inside a longer token.
const B = String.raw`(?<![A-Za-z0-9_-])`;
const E = String.raw`(?![A-Za-z0-9_-])`;
const re = (source: string): RegExp => new RegExp(source, 'g');
const body = (m: RegExpExecArray): string => m.groups?.['body'] ?? m[0];

/** A rule whose whole `body` group must look random. */
const random =
  (id: string, needs: readonly Need[] = [], minBits = 3) =>
  (m: RegExpExecArray): string | undefined =>
    looksRandom(body(m), needs, minBits) ? id : undefined;

const OPENAI = 'secret.api_key.openai.v1';
const ANTHROPIC = 'secret.api_key.anthropic.v1';
const SK_TOKEN = 'secret.api_key.sk_token.v1';
// "OpenAI" in base64: every current OpenAI key carries it in the middle.
const OPENAI_MARKER = 'T3BlbkFJ';
const ANTHROPIC_SHAPE = /^ant-(?:api|admin)\d\d-[A-Za-z0-9_-]{93}AA$/;

/** `sk-` keys: Anthropic (fixed length, "AA" suffix), OpenAI (marker or project prefix), other providers. */
function checkSk(m: RegExpExecArray): string | undefined {
  const rest = body(m);
  if (rest.startsWith('ant-')) return ANTHROPIC_SHAPE.test(rest) && looksRandom(rest.slice(10), [], 3) ? ANTHROPIC : undefined;
  if (rest.includes(OPENAI_MARKER)) return looksRandom(rest, ['digit']) ? OPENAI : undefined;
  const project = /^(?:proj|svcacct|admin|None)-(.+)$/.exec(rest);
  if (project) return (project[1] as string).length >= 40 && looksRandom(project[1] as string, ['digit', 'mixed_case']) ? OPENAI : undefined;
  // Legacy OpenAI keys: 48 alphanumerics. Other providers (DeepSeek, OpenRouter...): hex or alphanumeric.
  if (/^[A-Za-z0-9]{48}$/.test(rest)) return looksRandom(rest, ['digit']) ? OPENAI : undefined;
  if (/^(?:or-v1-)?[A-Za-z0-9]{32,128}$/.test(rest)) return looksRandom(rest.replace(/^or-v1-/, ''), ['digit', 'letter']) ? SK_TOKEN : undefined;
  return undefined;
}

/** Slack tokens: a numeric first segment (team id or version), then random segments. */
function checkSlack(m: RegExpExecArray): string | undefined {
  const segments = body(m).split('-');
  if (!/^\d+$/.test(segments[0] as string)) return undefined;
  const random = segments.slice(1).filter((s) => /[A-Za-z]/.test(s)).join('');
  // Numeric ids may repeat digits ("511111111"): only the random part must look random.
  const mixed = /\d/.test(random) || hasBalancedCase(random);
  return random.length >= 8 && mixed && looksRandom(random, [], 2.5) ? 'secret.api_key.slack.v1' : undefined;
}

/** A JWT: base64url JSON header naming an algorithm, a JSON payload, and a signature (empty for alg "none"). */
function checkJwt(m: RegExpExecArray): string | undefined {
  const [header = '', payload = ''] = m[0].split('.');
  const decodedHeader = decodeBase64(header);
  const decodedPayload = decodeBase64(payload);
  if (decodedHeader === undefined || decodedPayload === undefined) return undefined;
  if (!decodedPayload.startsWith('{')) return undefined;
  try {
    const parsed: unknown = JSON.parse(decodedHeader);
    if (typeof parsed === 'object' && parsed !== null && 'alg' in parsed) return 'secret.api_key.jwt.v1';
  } catch {
    // A token copied with a damaged byte is still a token: accept a header that reads as a JSON object naming "alg".
    if (decodedHeader.startsWith('{"') && decodedHeader.includes('"alg"')) return 'secret.api_key.jwt.v1';
  }
  return undefined;
}

// "BedrockAPIKey-" in base64: long-lived Amazon Bedrock API keys are "ABSK" + base64("BedrockAPIKey-...").
const BEDROCK_LONG = 'ABSKQmVkcm9ja0FQSUtleS';

/** Provider key formats; ids are stable and appear in findings. */
export const API_KEY_RULES: readonly KeyRule[] = [
  // Anthropic (sk-ant-api03-, sk-ant-admin01-), OpenAI (sk-, sk-proj-, sk-svcacct-, sk-admin-) and other sk- keys.
  { id: 'sk', keywords: ['sk-'], pattern: re(String.raw`${B}sk-(?<body>[A-Za-z0-9_-]{32,300})${E}`), check: checkSk },
  {
    id: 'secret.api_key.aws.v1',
    keywords: ['AKIA', 'ASIA', 'ABIA', 'ACCA'],
    pattern: re(String.raw`(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)(?<body>[A-Z2-7]{16})(?![A-Za-z0-9])`),
    check: random('secret.api_key.aws.v1', [], 2.5),
  },
  {
    id: 'secret.api_key.aws_bedrock.v1',
    keywords: [BEDROCK_LONG],
    pattern: re(String.raw`(?<![A-Za-z0-9+/])${BEDROCK_LONG}[A-Za-z0-9+/]{80,250}={0,2}(?![A-Za-z0-9+/=])`),
    // The base64 prefix is the format's own structure; the rest is an opaque secret.
    check: () => 'secret.api_key.aws_bedrock.v1',
  },
  {
    id: 'secret.api_key.aws_bedrock.v1',
    keywords: ['bedrock-api-key-'],
    // Short-lived keys: "bedrock-api-key-" + base64 of a presigned URL on bedrock.amazonaws.com.
    pattern: re(String.raw`${B}bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t[A-Za-z0-9+/=%]{0,4000}`),
    check: () => 'secret.api_key.aws_bedrock.v1',
  },
  {
    id: 'secret.api_key.github.v1',
    keywords: ['gh', 'github_pat_'],
    pattern: re(String.raw`${B}(?:gh[pousr]_(?<body>[A-Za-z0-9]{36,251})|github_pat_(?<fine>[A-Za-z0-9]{22}_[A-Za-z0-9]{59}))${E}`),
    check: (m) => (looksRandom(m.groups?.['body'] ?? m.groups?.['fine'] ?? '', [], 3) ? 'secret.api_key.github.v1' : undefined),
  },
  {
    id: 'secret.api_key.gitlab.v1',
    keywords: ['gl', 'GR1348941'],
    // Personal, deploy, runner, CI job, trigger, feed, mail, agent, OAuth, SCIM and feature-flag tokens,
    // classic (20 characters) or routable ("<base64url>.<2><7>"), and runner registration tokens.
    pattern: re(
      String.raw`${B}(?:(?:glpat|gldt|glrt|glcbt|glptt|glft|glimt|glagent|gloas|glsoat|glffct|glwt)-|GR1348941)(?<body>[A-Za-z0-9_-]{20,300}(?:\.[0-9a-z]{9})?)${E}`,
    ),
    check: random('secret.api_key.gitlab.v1', [], 3),
  },
  {
    id: 'secret.api_key.slack.v1',
    keywords: ['xox', 'xapp-'],
    // Bot, user, app, workspace, legacy and configuration tokens: segments separated by "-".
    pattern: re(String.raw`${B}(?:xox[abeoprs]|xoxe\.xox[bp]|xapp)-(?<body>[A-Za-z0-9]{1,250}(?:-[A-Za-z0-9]{1,250}){0,8})${E}`),
    check: checkSlack,
  },
  {
    id: 'secret.api_key.slack_webhook.v1',
    keywords: ['hooks.slack.com'],
    pattern: re(String.raw`(?:https?://)?hooks\.slack\.com/(?:services|workflows|triggers)/(?<body>[A-Za-z0-9_-]{1,40}(?:/[A-Za-z0-9_-]{1,80}){1,4})`),
    check: (m) => {
      const parts = body(m).split('/');
      const secret = parts[parts.length - 1] as string;
      return parts.length >= 3 && secret.length >= 16 && looksRandom(secret, [], 3) ? 'secret.api_key.slack_webhook.v1' : undefined;
    },
  },
  {
    id: 'secret.api_key.stripe.v1',
    keywords: ['k_live_', 'k_test_', 'k_prod_', 'whsec_'],
    // Secret and restricted keys, and webhook signing secrets; publishable pk_ keys are public by design.
    pattern: re(String.raw`${B}(?:(?:sk|rk)_(?:live|test|prod)_|whsec_)(?<body>[A-Za-z0-9]{20,247})${E}`),
    check: random('secret.api_key.stripe.v1', ['digit']),
  },
  {
    id: 'secret.api_key.google.v1',
    keywords: ['AIza', 'GOCSPX-'],
    // API keys and OAuth client secrets.
    pattern: re(String.raw`${B}(?:AIza(?<body>[A-Za-z0-9_-]{35})|GOCSPX-(?<oauth>[A-Za-z0-9_-]{28}))${E}`),
    check: (m) => (looksRandom(m.groups?.['body'] ?? m.groups?.['oauth'] ?? '', [], 3) ? 'secret.api_key.google.v1' : undefined),
  },
  {
    id: 'secret.api_key.huggingface.v1',
    keywords: ['hf_', 'api_org_'],
    pattern: re(String.raw`${B}(?:hf_|api_org_)(?<body>[A-Za-z]{34})${E}`),
    check: random('secret.api_key.huggingface.v1', ['balanced_case']),
  },
  {
    id: 'secret.api_key.jwt.v1',
    keywords: ['eyJ'],
    // JWTs are bearer credentials: header and payload are base64url JSON ("eyJ" is '{"').
    pattern: re(String.raw`${B}eyJ[A-Za-z0-9_-]{8,4000}\.eyJ[A-Za-z0-9_-]{4,40000}\.[A-Za-z0-9_-]{0,4000}={0,2}`),
    check: checkJwt,
  },
];

export const apiKeyDetector: Detector = {
  category: 'secret.api_key',
  kind: 'span',
  view: 'canonical',
  priority: 90,
  detect(text) {
    const found: DetectorMatch[] = [];
    for (const rule of API_KEY_RULES) {
      if (!rule.keywords.some((keyword) => text.includes(keyword))) continue;
      for (const m of text.matchAll(rule.pattern)) {
        const id = rule.check(m);
        if (id) found.push({ rule: id, start: m.index, end: m.index + m[0].length });
      }
    }
    return found;
  },
};
