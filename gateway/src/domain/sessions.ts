import { createHash, createHmac, createSecretKey, randomBytes, randomUUID, timingSafeEqual, type KeyObject } from 'node:crypto';
import { SessionExpiredError } from '@parley/platform';
import { AuthenticationError } from '../identity/errors.js';

export type Language = 'en' | 'de' | 'fr';

export interface Session {
  id: string;
  language: Language;
  created_at: string;
}

/** Server-side sessions keyed by the hash of their token; entries expire after the idle timeout. */
export interface SessionStore {
  create(tokenHash: string, session: Session, ttlSeconds: number): Promise<void>;
  /** Returns the session and extends its idle timeout, or undefined when gone. */
  touch(tokenHash: string, ttlSeconds: number): Promise<Session | undefined>;
  /** Ends the session at once on every replica. */
  revoke(tokenHash: string): Promise<void>;
  ping(): Promise<void>;
}

export interface MintedSession {
  session_id: string;
  token: string;
  expires_at: string;
}

/** `pst_` + 32 random bytes + `.` + a truncated HMAC of them: forged tokens fail before any lookup. */
export const SESSION_TOKEN_SHAPE = /^pst_([\w-]{43})\.([\w-]{22})$/;

/** Only the hash is stored: a leaked store does not leak usable tokens. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export class SessionService {
  /** Converted once: turning raw bytes into a key on every request shows up in profiles. */
  private readonly signingKey: KeyObject;

  constructor(
    private readonly store: SessionStore,
    private readonly idleTimeoutSeconds: number,
    signingKey: Uint8Array,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.signingKey = createSecretKey(signingKey);
  }

  async mint(language: Language): Promise<MintedSession & { session: Session }> {
    const nonce = randomBytes(32).toString('base64url');
    const token = `pst_${nonce}.${this.sign(nonce)}`;
    const session: Session = { id: randomUUID(), language, created_at: this.now().toISOString() };
    await this.store.create(hashToken(token), session, this.idleTimeoutSeconds);
    return { session_id: session.id, token, expires_at: this.expiresAt(), session };
  }

  /** Resolves a session token to its live session, sliding the idle timeout. */
  async authenticate(token: string): Promise<Session> {
    const match = SESSION_TOKEN_SHAPE.exec(token);
    if (!match?.[1] || !match[2]) throw new AuthenticationError('malformed', { detail: 'The session token is malformed.' });
    const expected = Buffer.from(this.sign(match[1]));
    const presented = Buffer.from(match[2]);
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
      throw new AuthenticationError('bad_signature', { detail: 'The session token is not valid.' });
    }
    const session = await this.store.touch(hashToken(token), this.idleTimeoutSeconds);
    if (!session) throw new SessionExpiredError('The session has expired or was ended; start a new one.');
    return session;
  }

  async revoke(token: string): Promise<void> {
    await this.store.revoke(hashToken(token));
  }

  private sign(nonce: string): string {
    return createHmac('sha256', this.signingKey).update(nonce).digest().subarray(0, 16).toString('base64url');
  }

  private expiresAt(): string {
    return new Date(this.now().getTime() + this.idleTimeoutSeconds * 1000).toISOString();
  }
}
