import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { SessionExpiredError, UnauthorizedError } from '@parley/platform';

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
  ping(): Promise<void>;
}

export interface MintedSession {
  session_id: string;
  token: string;
  expires_at: string;
}

const TOKEN_PREFIX = 'pst_';
const TOKEN_SHAPE = /^pst_[\w-]{43}$/;

/** Only the hash is stored: a leaked store does not leak usable tokens. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export class SessionService {
  constructor(
    private readonly store: SessionStore,
    private readonly idleTimeoutSeconds: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async mint(language: Language): Promise<MintedSession> {
    const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const session: Session = { id: randomUUID(), language, created_at: this.now().toISOString() };
    await this.store.create(hashToken(token), session, this.idleTimeoutSeconds);
    return { session_id: session.id, token, expires_at: this.expiresAt() };
  }

  /** Resolves a bearer token to its live session, sliding the idle timeout. */
  async authenticate(token: string | undefined): Promise<Session> {
    if (!token) throw new UnauthorizedError('Start a session with POST /api/v1/sessions and send its token as Authorization: Bearer.');
    if (!TOKEN_SHAPE.test(token)) throw new UnauthorizedError('The session token is malformed.');
    const session = await this.store.touch(hashToken(token), this.idleTimeoutSeconds);
    if (!session) throw new SessionExpiredError('The session has expired or was ended; start a new one.');
    return session;
  }

  private expiresAt(): string {
    return new Date(this.now().getTime() + this.idleTimeoutSeconds * 1000).toISOString();
  }
}
