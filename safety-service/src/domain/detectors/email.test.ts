import { describe, expect, it } from 'vitest';
import { EMAIL_RULE, emailDetector, findEmails } from './email.js';

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

  it.each([
    ['EN', 'Send the invoice to billing.team@acme-corp.com by Friday.', ['billing.team@acme-corp.com']],
    ['DE', 'Bitte schreiben Sie an max.mustermann@beispiel.de oder an büro@müller-gmbh.de.', ['max.mustermann@beispiel.de', 'büro@müller-gmbh.de']],
    ['FR', "Écrivez à jean-pierre.dupont@exemple.fr ou à l'adresse contact@société.fr.", ['jean-pierre.dupont@exemple.fr', 'contact@société.fr']],
  ])('finds addresses in %s prose', (_language, text, addresses) => {
    expect(found(text)).toEqual(addresses);
  });

  it('does not report a package scope, a version pin or an IP login', () => {
    expect(found('npm i @types/node@24.1.0; ssh admin@10.0.0.5; pip install foo==1.2')).toEqual([]);
  });

  it.each([
    ['dotted atoms without an @', 'a.'],
    ['@ after every letter', 'a@'],
    ['a domain of endless labels', 'x@a.'],
    ['dashes in a label', 'x@a-'],
  ])('completes on a 100 KB run of %s', (_what, unit) => {
    const text = unit.length > 2 ? unit.slice(0, 2) + unit.slice(2).repeat(50_000) : unit.repeat(50_000);
    const started = performance.now();
    emailDetector.detect(text, { direction: 'output' });
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe('email prefilter', () => {
  it('lists the matches a global scan of the pattern lists', () => {
    const LOCAL = String.raw`[\p{L}\p{N}_%+'-]+(?:\.[\p{L}\p{N}_%+'-]+)*`;
    const DOMAIN = String.raw`(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?\.)+(?:\p{L}{2,63}|xn--[a-z0-9-]{1,59})`;
    const global = new RegExp(String.raw`(?<![\p{L}\p{N}_%+'.-])${LOCAL}@${DOMAIN}(?![\p{L}\p{N}_-]|\.[\p{L}\p{N}])`, 'gu');
    const texts = [
      'mail a.b@c.de, .x@y.org, jürgen@müller.de and a@b@c.com or @x.org',
      'x@y.z a..b@c.de \ud835\udc00b@c.de \ud800a@b.cd e@f.gh.',
      'first@one.com@two.org trailing@',
    ];
    for (const text of texts) {
      const expected = [...text.matchAll(global)].map((m) => ({ rule: 'pii.email.v1', start: m.index, end: m.index + m[0].length }));
      expect(findEmails(text), text).toEqual(expected);
    }
  });
});
