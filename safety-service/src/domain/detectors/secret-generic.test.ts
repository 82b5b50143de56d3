import { describe, expect, it } from 'vitest';
import { randomString } from '../../../test/fixtures.js';
import { GENERIC_ASSIGNMENT_RULE, genericSecretDetector, isSecretKeyName } from './secret-generic.js';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const HEX = '0123456789abcdef';
const detect = (text: string) => genericSecretDetector.detect(text, { direction: 'output' });
/** The values the detector reported, as text. */
const values = (text: string) => detect(text).map((m) => text.slice(m.start, m.end));

describe('generic secret assignment detector', () => {
  const token = randomString(32, ALNUM, 41);
  const hex = randomString(64, HEX, 42);

  it.each([
    ['an env file', `DB_HOST=db\nAPI_KEY=${token}\n`, token],
    ['JSON', `{"client_secret": "${hex}", "client_id": "web"}`, hex],
    ['escaped JSON', `\\{\\"gitlab_token\\": \\"${token}\\"\\}`, token],
    ['YAML', `auth:\n  token: '${token}'\n`, token],
    ['a YAML block scalar', `service_token: |\n  ${token}\n`, token],
    ['Python', `secret = "${token}"`, token],
    ['Go', `apiToken := \`${token}\``, token],
    ['a Makefile', `DEPLOY_TOKEN ?= "${token}"`, token],
    ['XML', `<apiToken>${token}</apiToken>`, token],
    ['an HTTP header', `curl -H "Authorization: Bearer ${token}" https://api.example.com`, token],
    ['a command-line flag', `./deploy --token ${token} --verbose`, token],
    ['a Java property', 'spring.datasource.password=S3cure!Passw0rd', 'S3cure!Passw0rd'],
    ['prose', 'The password is Tr0ub4dor&3 for the admin account.', 'Tr0ub4dor&3'],
  ])('finds the value of a secret assigned in %s, and only the value', (_where, text, value) => {
    expect(values(text)).toEqual([value]);
    expect(detect(text)[0]?.rule).toBe(GENERIC_ASSIGNMENT_RULE);
  });

  it.each([
    ['an ordinary word', 'password: required'],
    ['a placeholder in brackets', 'password: "<your-password>"'],
    ['changeme', 'password: changeme'],
    ['an x-run', 'API_KEY=xxxxxxxxxxxxxxxxxxxxxxxx'],
    ['masked stars', 'password: ********'],
    ['a shell variable', 'api_key: ${API_KEY}'],
    ['a CI secret reference', 'token: ${{ secrets.GITHUB_TOKEN }}'],
    ['a template', 'password: "{{ .Values.db.password }}"'],
    ['an environment lookup', 'password = os.environ["DB_PASSWORD"]'],
    ['a settings attribute', 'api_key = settings.OPENAI_API_KEY'],
    ['a function call', 'token = get_token(user)'],
    ['a constant name', 'api_key = API_KEY'],
    ['a type annotation', 'api_key: Optional[str] = None'],
    ['a TypeScript field', 'password: string;'],
    ['a git SHA', `token = ${randomString(40, HEX, 43)}`],
    ['a UUID', 'api_key = "123e4567-e89b-12d3-a456-426614174000"'],
    ['a short number', 'max_tokens: 4096'],
    ['a timestamp', 'token: 1714564800'],
    ['a token type', 'token_type: "bearer"'],
    ['a URL', 'token_url: https://oauth2.googleapis.com/token'],
    ['a name ending in a non-secret word', 'secret_name: my-app-credentials-prod-2024'],
    ['a password hash field', `password_hash = "${randomString(40, ALNUM, 44)}"`],
    ['a key that is not a secret', 'primary_key = True'],
    ['a tokenizer', 'tokenizer = AutoTokenizer.from_pretrained("bert-base-uncased")'],
    ['a boolean', 'auth: true'],
    ['prose about a password', 'The password must be at least 8 characters long.'],
    ['a digest', `token=sha256:${randomString(64, HEX, 45)}`],
    ['an encrypted SOPS value', `secret: ENC[AES256_GCM,data:${randomString(20, ALNUM, 46)}]`],
    ['the AWS documentation example', 'aws_secret_access_key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
    ['a member path', 'client_vpn_endpoint_id = aws_ec2_client_vpn_endpoint.client-vpn-endpoint.id'],
  ])('passes %s', (_what, text) => {
    expect(detect(text)).toEqual([]);
  });

  it('reads key names the way code spells them', () => {
    for (const key of ['DB_PASSWORD', 'clientSecret', 'X-API-Key', 'apiKey', 'APIKey', 'spring.datasource.password', 'secret_id', 'HF_AUTH_TOKEN']) {
      expect(isSecretKeyName(key), key).toBe(true);
    }
    for (const key of ['key', 'primary_key', 'tokenizer', 'max_tokens', 'token_url', 'password_length', 'author', 'api_key_id']) {
      expect(isSecretKeyName(key), key).toBe(false);
    }
  });

  it('finishes on 100 KB of near-matches (hang guard, not a benchmark)', () => {
    const inputs = [
      'password='.repeat(12_000),
      `api_key: "${'a'.repeat(100_000)}`,
      'tokentokentoken'.repeat(7_000),
      `secret${'_'.repeat(100_000)}=x`,
    ];
    for (const input of inputs) {
      const started = performance.now();
      detect(input);
      expect(performance.now() - started).toBeLessThan(1_000);
    }
  });
});
