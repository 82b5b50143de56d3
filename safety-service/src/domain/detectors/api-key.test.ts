import { describe, expect, it } from 'vitest';
import { fakeSecrets, randomString } from '../../../test/fixtures.js';
import { apiKeyDetector, looksRandom } from './api-key.js';

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

  it('tells random bodies from low-entropy ones', () => {
    expect(looksRandom(randomString(32, 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', 9))).toBe(true);
    expect(looksRandom('abababababababababababababababab')).toBe(false);
    expect(looksRandom('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')).toBe(false);
  });
});
