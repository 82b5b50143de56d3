import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AUDIT_GENESIS_HASH, canonicalJson, checkLink, computeAuditHash, decodeEntry, encodeFields, type AuditContent } from './chain.js';

const content = (over: Partial<AuditContent> = {}): AuditContent => ({
  time: '2025-01-02T03:04:05.006Z',
  type: 'auth.failure',
  principal: 'key_123',
  principal_kind: 'api_key',
  outcome: 'failure',
  reason: 'expired',
  details: { attempts: 3, mfa: false, route: '/v1/models' },
  prev_hash: AUDIT_GENESIS_HASH,
  ...over,
});

describe('canonicalJson', () => {
  it('sorts keys at every level and drops undefined members, keeping array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: 'x' }, u: undefined })).toBe(
      '{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}',
    );
  });

  it('gives the same text whatever order the keys were inserted in', () => {
    expect(canonicalJson({ x: 1, y: { p: 1, q: 2 } })).toBe(canonicalJson({ y: { q: 2, p: 1 }, x: 1 }));
  });

  it('refuses values JSON cannot represent faithfully', () => {
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(TypeError);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(TypeError);
  });
});

describe('computeAuditHash', () => {
  it('is sha256hex(prev_hash + "\\n" + canonical JSON of the record without id and hash)', () => {
    const c = content({ prev_hash: 'ab'.repeat(32) });
    const expected = createHash('sha256')
      .update(
        `${'ab'.repeat(32)}\n{"details":{"attempts":3,"mfa":false,"route":"/v1/models"},"outcome":"failure","prev_hash":"${'ab'.repeat(32)}","principal":"key_123","principal_kind":"api_key","reason":"expired","time":"2025-01-02T03:04:05.006Z","type":"auth.failure"}`,
      )
      .digest('hex');
    expect(computeAuditHash(c)).toBe(expected);
  });

  it('changes when any field or the previous hash changes', () => {
    const base = computeAuditHash(content());
    expect(computeAuditHash(content({ outcome: 'success' }))).not.toBe(base);
    expect(computeAuditHash(content({ details: { attempts: 4, mfa: false, route: '/v1/models' } }))).not.toBe(base);
    expect(computeAuditHash(content({ prev_hash: '1'.repeat(64) }))).not.toBe(base);
  });
});

describe('stream encoding', () => {
  it('stores every field as text (details as JSON) and decodes back to the same record and hash', () => {
    const c = content({ trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', client_ip: '203.0.113.0/24' });
    const hash = computeAuditHash(c);
    const fields = encodeFields(c, hash);
    expect(fields.filter((_, i) => i % 2 === 0)).toEqual([
      'time', 'type', 'outcome', 'principal_kind', 'principal', 'reason', 'client_ip', 'trace_id', 'details', 'prev_hash', 'hash',
    ]);
    expect(fields[fields.indexOf('details') + 1]).toBe('{"attempts":3,"mfa":false,"route":"/v1/models"}');
    const decoded = decodeEntry({ id: '5-0', fields });
    expect(decoded.record).toEqual({ id: '5-0', ...c, hash });
    expect(checkLink(decoded, AUDIT_GENESIS_HASH)).toBeNull();
  });

  it('leaves absent optional fields out of the stream entry', () => {
    const { reason: _r, details: _d, ...c } = content();
    const fields = encodeFields(c, computeAuditHash(c));
    expect(fields).not.toContain('reason');
    expect(fields).not.toContain('details');
    expect(fields).not.toContain('client_ip');
  });
});

describe('checkLink', () => {
  const c = content();
  const hash = computeAuditHash(c);
  const fields = encodeFields(c, hash);
  const withField = (name: string, value: string) => {
    const copy = [...fields];
    copy[copy.indexOf(name) + 1] = value;
    return decodeEntry({ id: '1-0', fields: copy });
  };

  it('reports hash_mismatch when any stored value was edited, including prev_hash and details', () => {
    expect(checkLink(withField('principal', 'key_999'), AUDIT_GENESIS_HASH)).toBe('hash_mismatch');
    expect(checkLink(withField('details', '{"attempts":1,"mfa":false,"route":"/v1/models"}'), AUDIT_GENESIS_HASH)).toBe('hash_mismatch');
    expect(checkLink(withField('details', 'not json'), AUDIT_GENESIS_HASH)).toBe('hash_mismatch');
    expect(checkLink(withField('prev_hash', '1'.repeat(64)), AUDIT_GENESIS_HASH)).toBe('hash_mismatch');
  });

  it('reports hash_mismatch when a field was added, removed or duplicated', () => {
    expect(checkLink(decodeEntry({ id: '1-0', fields: [...fields, 'note', 'x'] }), AUDIT_GENESIS_HASH)).toBe('hash_mismatch');
    expect(checkLink(decodeEntry({ id: '1-0', fields: fields.slice(2) }), AUDIT_GENESIS_HASH)).toBe('hash_mismatch');
    expect(checkLink(decodeEntry({ id: '1-0', fields: [...fields, 'type', 'auth.success'] }), AUDIT_GENESIS_HASH)).toBe('hash_mismatch');
  });

  it('reports chain_break when an intact record does not follow the expected hash', () => {
    expect(checkLink(decodeEntry({ id: '1-0', fields }), 'f'.repeat(64))).toBe('chain_break');
  });
});
