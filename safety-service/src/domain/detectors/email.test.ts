import { describe, expect, it } from 'vitest';
import { EMAIL_RULE, emailDetector } from './email.js';

const found = (text: string): string[] =>
  emailDetector.detect(text, { direction: 'output' }).map((m) => text.slice(m.start, m.end));

describe('email detector', () => {
  it('finds addresses in prose, with the exact span and a stable rule id', () => {
    const text = 'Write to jane.doe+news@example.co.uk or info@presidio.site.';
    expect(found(text)).toEqual(['jane.doe+news@example.co.uk', 'info@presidio.site']);
    expect(emailDetector.detect(text, { direction: 'output' })[0]).toMatchObject({ rule: EMAIL_RULE, start: 9 });
  });

  it('finds internationalised and punycode domains', () => {
    expect(found('user@xn--80ak6aa92e.com and jürgen@müller.de')).toEqual(['user@xn--80ak6aa92e.com', 'jürgen@müller.de']);
  });

  it('does not report a domain without a top-level domain, a handle or a path', () => {
    expect(found('my email is info@presidio.')).toEqual([]);
    expect(found('ping @channel, see git@ or user@localhost')).toEqual([]);
    expect(found('this is not an email: hello-world here')).toEqual([]);
  });
});
