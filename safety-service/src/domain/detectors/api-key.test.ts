import { describe, expect, it } from 'vitest';
import { fakeSecrets, randomString } from '../../../test/fixtures.js';
import { apiKeyDetector } from './api-key.js';

const detect = (text: string) => apiKeyDetector.detect(text, { direction: 'output' });

describe('API key detector', () => {
  it.each([
    ['openai', fakeSecrets.openai, 'secret.api_key.openai.v1'],
    ['openaiLegacy', fakeSecrets.openaiLegacy, 'secret.api_key.openai.v1'],
    ['anthropic', fakeSecrets.anthropic, 'secret.api_key.anthropic.v1'],
    ['aws', fakeSecrets.aws, 'secret.api_key.aws.v1'],
    ['awsSession', fakeSecrets.awsSession, 'secret.api_key.aws.v1'],
    ['github', fakeSecrets.github, 'secret.api_key.github.v1'],
    ['githubServer', fakeSecrets.githubServer, 'secret.api_key.github.v1'],
    ['githubFineGrained', fakeSecrets.githubFineGrained, 'secret.api_key.github.v1'],
    ['slack', fakeSecrets.slack, 'secret.api_key.slack.v1'],
    ['stripe', fakeSecrets.stripe, 'secret.api_key.stripe.v1'],
    ['stripeRestricted', fakeSecrets.stripeRestricted, 'secret.api_key.stripe.v1'],
    ['google', fakeSecrets.google, 'secret.api_key.google.v1'],
  ])('finds a %s key in code, with its exact span', (_name, key, rule) => {
    const text = `export API_KEY="${key}"\n`;
    expect(detect(text)).toEqual([{ rule, start: 16, end: 16 + key.length }]);
  });

  it('reports an Anthropic key once, as Anthropic', () => {
    expect(detect(fakeSecrets.anthropic).map((m) => m.rule)).toEqual(['secret.api_key.anthropic.v1']);
  });

  it.each([
    ['the AWS documentation example', 'aws_access_key: AKIAIOSFODNN7EXAMPLE'],
    ['a placeholder', 'key = AKIAXXXXXXXXXXXXXXXX'],
    ['a GitHub placeholder', `ghp_${'x'.repeat(36)}`],
    ['a "your key here" value', 'sk-your-openai-api-key-goes-here-1234567890'],
    ['a slug that starts with sk-', 'see https://example.com/sk-learning-resources-for-beginners-and-experts'],
    ['a word that contains the prefix', 'TODAYINASIAASACKOFRICEFELLOVER'],
    ['a git SHA', '3f786850e387550fdab836ed7e6dc881de23001b'],
    ['a UUID', '123e4567-e89b-12d3-a456-426614174000'],
    ['a Slack-looking word', 'xoxb-Slack_BOT_TOKEN and xoxb-12345-abcd234'],
    ['a Google key of the wrong length', `AIza${randomString(40, 'abcdefghijklmnopqrstuvwxyz0123456789', 3)}`],
  ])('does not report %s', (_what, text) => {
    expect(detect(text)).toEqual([]);
  });

  it('finds a key that a zero-width character was slipped into, once the text is canonical', async () => {
    const { canonicalView } = await import('../normalize.js');
    const key = fakeSecrets.github;
    const hidden = `token ${key.slice(0, 10)}\u200b${key.slice(10)}`;
    const view = canonicalView(hidden);
    const [match] = apiKeyDetector.detect(view.text, { direction: 'output' });
    expect(match).toBeDefined();
    expect(view.toOriginal(match!.start, match!.end)).toEqual({ start: 6, end: hidden.length });
  });

  const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  const b64url = (value: string): string => Buffer.from(value).toString('base64url');
  const jwt = [b64url('{"alg":"HS256","typ":"JWT"}'), b64url('{"sub":"1234567890","iat":1516239022}'), randomString(43, `${ALNUM}-_`, 61)].join('.');

  it.each([
    ['a legacy sk- key of another provider', ['sk-', randomString(32, '0123456789abcdef', 62)].join(''), 'secret.api_key.sk_token.v1'],
    ['an OpenAI project key with the marker', ['sk-proj-', randomString(40, ALNUM, 63), 'T3Blbk', 'FJ', randomString(40, ALNUM, 64)].join(''), 'secret.api_key.openai.v1'],
    ['an Anthropic admin key', ['sk-ant-', 'admin01-', randomString(93, `${ALNUM}-_`, 65), 'AA'].join(''), 'secret.api_key.anthropic.v1'],
    ['a GitHub OAuth token', ['gho', '_', randomString(36, ALNUM, 66)].join(''), 'secret.api_key.github.v1'],
    ['a GitLab personal token', ['glpat', '-', randomString(20, ALNUM, 67)].join(''), 'secret.api_key.gitlab.v1'],
    ['a routable GitLab token', ['glpat', '-', randomString(27, ALNUM, 68), '.01', randomString(7, 'abcdefghijklmnopqrstuvwxyz0123456789', 69)].join(''), 'secret.api_key.gitlab.v1'],
    ['a GitLab runner registration token', ['GR1348941', randomString(20, ALNUM, 70)].join(''), 'secret.api_key.gitlab.v1'],
    ['a Slack user token', ['xoxp-', '41684372915-1320496754-45609968301-', randomString(32, '0123456789abcdef', 71)].join(''), 'secret.api_key.slack.v1'],
    ['a Slack webhook', ['https://hooks.slack.com/services/', 'T0DCUJB1Q/B0DD08H5G/', randomString(24, ALNUM, 72)].join(''), 'secret.api_key.slack_webhook.v1'],
    ['a Stripe webhook secret', ['whsec', '_', randomString(32, ALNUM, 73)].join(''), 'secret.api_key.stripe.v1'],
    ['a Google OAuth client secret', ['GOCSPX', '-', randomString(28, ALNUM, 74)].join(''), 'secret.api_key.google.v1'],
    ['a Hugging Face token', ['hf', '_', randomString(34, LETTERS, 75)].join(''), 'secret.api_key.huggingface.v1'],
    ['a JWT', jwt, 'secret.api_key.jwt.v1'],
    ['an unsigned JWT', `${b64url('{"alg":"none"}')}.${b64url('{"sub":"test-user"}')}.`, 'secret.api_key.jwt.v1'],
  ])('finds %s in prose, with its exact span', (_name, key, rule) => {
    const text = `Use this one: ${key} and nothing else.`;
    expect(detect(text)).toEqual([{ rule, start: 14, end: 14 + key.length }]);
  });

  it.each([
    ['a Stripe publishable key', ['pk', '_live_', randomString(24, ALNUM, 80)].join('')],
    ['an Anthropic key without its "AA" suffix', ['sk-ant-', 'api03-', randomString(93, ALNUM, 81), 'BB'].join('')],
    ['a camelCase identifier after hf_', '- (id)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;'],
    ['a GitLab placeholder', 'glpat-xxxxxxxx-xxxxxxxxxxxxxxxxxx.xxxxxxxxx'],
    ['a Slack token masked with #', '"token4": "xoxp-572370529330-573807301142-572331691188-####################"'],
    ['a Slack-prefixed handle in a URL', 'https://github.com/xoxa-nyc/xoxa-nyc.github.io/blob/master/README.md'],
    ['a base64 string that is not a JWT', `eyJ${randomString(30, ALNUM, 82)}.eyJ${randomString(30, ALNUM, 83)}.abc`],
    ['a PGP public key block', `-----BEGIN PGP PUBLIC KEY BLOCK-----\n${randomString(64, ALNUM, 84)}\n-----END PGP PUBLIC KEY BLOCK-----`],
  ])('does not report %s', (_what, text) => {
    expect(detect(text)).toEqual([]);
  });

  it('finishes on 100 KB of near-matches for every rule (hang guard, not a benchmark)', () => {
    const inputs = [
      `sk-${'a1'.repeat(50_000)}`,
      'sk-ant-api03-'.repeat(8_000),
      'AKIA'.repeat(25_000),
      `xoxb-${'1-'.repeat(50_000)}`,
      `xoxb-1${'-a1'.repeat(33_000)}#`,
      `https://hooks.slack.com/services/${'a/'.repeat(50_000)}`,
      `eyJ${'a'.repeat(50_000)}.eyJ${'b'.repeat(50_000)}`,
      'eyJhbGciOiJIUzI1NiJ9.'.repeat(5_000),
      `glpat-${'a'.repeat(100_000)}`,
      `ghp_${'a'.repeat(100_000)}`,
      `AIza${'-'.repeat(100_000)}`,
      `bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t${'A'.repeat(100_000)}`,
      `ABSKQmVkcm9ja0FQSUtleS${'A'.repeat(100_000)}`,
    ];
    for (const input of inputs) {
      const started = performance.now();
      detect(input);
      expect(performance.now() - started, input.slice(0, 20)).toBeLessThan(1_000);
    }
  });
});
