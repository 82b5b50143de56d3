import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '@parley/platform';
import { API_KEY_SHAPE } from './bearer.js';
import { AuthenticationError } from './errors.js';
import { ROLES, type Principal, type Role } from './principal.js';

export interface ApiKeyRecord {
  id: string;
  name: string;
  client: string;
  role: Role;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  rotated_from: string | null;
}

export interface CreateApiKeyInput {
  name: string;
  role: Role;
  /** Groups keys for listing and rotation; defaults to the name. */
  client?: string | undefined;
  expires_at?: string | null | undefined;
  rotated_from?: string | null | undefined;
}

export interface RotateApiKeyOptions {
  /** How long the old key keeps working; 0 revokes it now. Default 3600. */
  graceSeconds?: number | undefined;
  /** Expiry of the new key; default none. */
  expires_at?: string | null | undefined;
}

export interface ApiKeyStore {
  /** The raw key is returned here and by rotate, once; only an HMAC of its secret is kept. */
  create(input: CreateApiKeyInput): Promise<{ record: ApiKeyRecord; key: string }>;
  /** The key's record when it is valid; throws AuthenticationError ('malformed' | 'unknown' | 'revoked' | 'expired') or IdentityUnavailableError. */
  authenticate(key: string): Promise<ApiKeyRecord>;
  get(id: string): Promise<ApiKeyRecord | undefined>;
  /** Revoked keys are left out unless includeRevoked; expired keys are listed (their expires_at says so). */
  list(filter?: { client?: string | undefined; includeRevoked?: boolean | undefined }): Promise<ApiKeyRecord[]>;
  /** Marks the key revoked (idempotent: the first revocation time is kept); undefined when unknown. */
  revoke(id: string): Promise<ApiKeyRecord | undefined>;
  /** New key for the same client, name and role; the old one stays valid for graceSeconds (0 = revoke now), so clients rotate without downtime. */
  rotate(id: string, options?: RotateApiKeyOptions): Promise<{ record: ApiKeyRecord; key: string; previous: ApiKeyRecord }>;
  ping(): Promise<void>;
}

export interface ApiKeyStoreOptions {
  /** Server-side secret mixed into every stored hash: a leaked store alone does not allow offline guessing. */
  pepper: string;
  now?: (() => Date) | undefined;
}

/** What a backend keeps: the record plus the hex HMAC of the secret, never the secret. */
export interface StoredApiKey extends ApiKeyRecord {
  secret_hash: string;
}

export type ApiKeyPatch = Partial<Pick<ApiKeyRecord, 'expires_at' | 'revoked_at'>>;

/** Storage behind the store: Redis for production, a Map for the single-process setup. */
export interface ApiKeyBackend {
  /**
   * Stores a new key and, in the same atomic step, applies `previous.patch` to
   * the key it replaces. 'id_taken' when the id exists, 'previous_missing' when the old key is gone.
   */
  insert(key: StoredApiKey, previous?: { id: string; patch: ApiKeyPatch }): Promise<'ok' | 'id_taken' | 'previous_missing'>;
  find(id: string): Promise<StoredApiKey | undefined>;
  /** Sets revoked_at unless already set; the stored key afterwards, or undefined when unknown. */
  revoke(id: string, at: string): Promise<StoredApiKey | undefined>;
  list(client: string | undefined): Promise<StoredApiKey[]>;
  ping(): Promise<void>;
}

export const API_KEY_PREFIX = 'pk_';
const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const ID_LENGTH = 12;
const SECRET_BYTES = 32;
const DEFAULT_GRACE_SECONDS = 3600;
const MAX_GRACE_SECONDS = 30 * 24 * 3600;
const MIN_PEPPER_CHARS = 16;

const isoDateTime = z.iso.datetime({ offset: true });
const createSchema = z.object({
  name: z.string().trim().min(1).max(100),
  role: z.enum(ROLES),
  client: z.string().trim().min(1).max(100).optional(),
  expires_at: isoDateTime.nullable().optional(),
  rotated_from: z.string().regex(/^[a-z2-7]{12}$/).nullable().optional(),
});
const rotateSchema = z.object({
  graceSeconds: z.number().int().min(0).max(MAX_GRACE_SECONDS).optional(),
  expires_at: isoDateTime.nullable().optional(),
});

/** 12 base32 characters: 60 random bits, short enough to read out in an audit record. */
function newId(): string {
  let id = '';
  // 32 divides 256, so masking 5 bits keeps every character equally likely.
  for (const byte of randomBytes(ID_LENGTH)) id += ID_ALPHABET.charAt(byte & 31);
  return id;
}

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new ValidationError(`Invalid ${what}: ${z.prettifyError(result.error).replaceAll('\n', ' ')}`);
  }
  return result.data;
}

export function principalFromApiKey(record: ApiKeyRecord): Principal {
  return { kind: 'api_key', id: record.id, role: record.role, client: record.client, name: record.name };
}

function publicRecord(stored: StoredApiKey): ApiKeyRecord {
  const { id, name, client, role, created_at, expires_at, revoked_at, rotated_from } = stored;
  return { id, name, client, role, created_at, expires_at, revoked_at, rotated_from };
}

/**
 * The API key rules, once, over any backend. No caching: every authenticate
 * reads the backend, so revocation and expiry hold on every replica at once.
 */
export function createApiKeyStore(backend: ApiKeyBackend, options: ApiKeyStoreOptions): ApiKeyStore {
  if (options.pepper.length < MIN_PEPPER_CHARS) {
    throw new TypeError(`The API key pepper must be at least ${MIN_PEPPER_CHARS} characters.`);
  }
  const pepper = options.pepper;
  const now = options.now ?? (() => new Date());
  // Compared against when the id is unknown, so the response time does not reveal which ids exist.
  const dummyHash = randomBytes(32);

  const hmac = (secret: string): Buffer => createHmac('sha256', pepper).update(secret).digest();

  const futureOrNull = (expiresAt: string | null | undefined): string | null => {
    if (expiresAt === undefined || expiresAt === null) return null;
    const at = new Date(expiresAt);
    if (at.getTime() <= now().getTime()) throw new ValidationError('expires_at must be in the future.');
    return at.toISOString();
  };

  const mint = async (
    fields: Omit<ApiKeyRecord, 'id' | 'created_at'>,
    previous?: { id: string; patch: ApiKeyPatch },
  ): Promise<{ record: ApiKeyRecord; key: string }> => {
    const secret = randomBytes(SECRET_BYTES).toString('base64url');
    const secretHash = hmac(secret).toString('hex');
    // 60-bit ids practically never collide; the backend still refuses to overwrite one.
    for (let attempt = 0; attempt < 3; attempt++) {
      const stored: StoredApiKey = { id: newId(), created_at: now().toISOString(), ...fields, secret_hash: secretHash };
      const outcome = await backend.insert(stored, previous);
      if (outcome === 'previous_missing') throw new NotFoundError('The API key to rotate does not exist.');
      if (outcome === 'ok') return { record: publicRecord(stored), key: `${API_KEY_PREFIX}${stored.id}_${secret}` };
    }
    throw new Error('Could not allocate a unique API key id.');
  };

  return {
    async create(input) {
      const parsed = parse(createSchema, input, 'API key');
      return mint({
        name: parsed.name,
        role: parsed.role,
        client: parsed.client ?? parsed.name,
        expires_at: futureOrNull(parsed.expires_at),
        revoked_at: null,
        rotated_from: parsed.rotated_from ?? null,
      });
    },

    async authenticate(key) {
      const match = API_KEY_SHAPE.exec(key);
      const id = match?.[1];
      const secret = match?.[2];
      if (id === undefined || secret === undefined) throw new AuthenticationError('malformed', { detail: 'The API key is malformed.' });
      const stored = await backend.find(id);
      const expected = stored ? Buffer.from(stored.secret_hash, 'hex') : dummyHash;
      const presented = hmac(secret);
      // timingSafeEqual needs equal lengths; a damaged stored hash falls back to the dummy and fails.
      const equal = timingSafeEqual(presented, expected.length === presented.length ? expected : dummyHash);
      if (!stored || !equal) throw new AuthenticationError('unknown', { detail: 'The API key is not valid.' });
      // Only a holder of the real secret learns that the key was revoked or has expired.
      if (stored.revoked_at !== null) {
        throw new AuthenticationError('revoked', { detail: 'The API key has been revoked.', keyId: stored.id });
      }
      if (stored.expires_at !== null && Date.parse(stored.expires_at) <= now().getTime()) {
        throw new AuthenticationError('expired', { detail: 'The API key has expired.', keyId: stored.id });
      }
      return publicRecord(stored);
    },

    async get(id) {
      const stored = await backend.find(id);
      return stored && publicRecord(stored);
    },

    async list(filter = {}) {
      const all = await backend.list(filter.client);
      return all
        .filter((k) => filter.includeRevoked === true || k.revoked_at === null)
        .map(publicRecord)
        .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
    },

    async revoke(id) {
      const stored = await backend.revoke(id, now().toISOString());
      return stored && publicRecord(stored);
    },

    async rotate(id, rotateOptions = {}) {
      const parsed = parse(rotateSchema, rotateOptions, 'rotation options');
      const old = await backend.find(id);
      if (!old) throw new NotFoundError('The API key to rotate does not exist.');
      const graceSeconds = parsed.graceSeconds ?? DEFAULT_GRACE_SECONDS;
      const at = now();
      const patch: ApiKeyPatch = {};
      if (graceSeconds === 0) {
        if (old.revoked_at === null) patch.revoked_at = at.toISOString();
      } else {
        const graceEnd = at.getTime() + graceSeconds * 1000;
        // Rotation never extends the life of the old key.
        if (old.expires_at === null || Date.parse(old.expires_at) > graceEnd) patch.expires_at = new Date(graceEnd).toISOString();
      }
      const minted = await mint(
        {
          name: old.name,
          role: old.role,
          client: old.client,
          expires_at: futureOrNull(parsed.expires_at),
          revoked_at: null,
          rotated_from: old.id,
        },
        { id: old.id, patch },
      );
      // Read back rather than assume: a concurrent revoke may have landed in between.
      const previous = (await backend.find(id)) ?? { ...old, ...patch };
      return { ...minted, previous: publicRecord(previous) };
    },

    ping: () => backend.ping(),
  };
}
