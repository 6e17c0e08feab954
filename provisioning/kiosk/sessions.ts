import { randomBytes, timingSafeEqual } from 'node:crypto';

/** A technician session ends after this long without a request. */
export const SESSION_IDLE_MS = 15 * 60_000;

export interface Session {
  id: string;
  /** Token every form posted in this session must carry. */
  csrf: string;
  technician: string | null;
  /** The one consent flow a worker's phone may use, for a session opened by a hand-off link. */
  flowId: string | null;
  lastSeen: number;
}

/**
 * Kiosk sessions in memory: random ids for the cookie, a CSRF token each, idle expiry. `onExpired`
 * is called once for each expired session, whether a request or sweep() found it.
 */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly onExpired: (session: Session) => void = () => {},
  ) {}

  create(flowId: string | null = null): Session {
    const session = { id: token(), csrf: token(), technician: null, flowId, lastSeen: this.now() };
    this.sessions.set(session.id, session);
    return session;
  }

  /** Return the live session for a cookie value, refreshing its idle timer; expired ones are dropped. */
  get(id: string | undefined): Session | undefined {
    if (id === undefined) return undefined;
    const session = this.sessions.get(id);
    if (session === undefined) return undefined;
    if (this.expired(session)) {
      this.sessions.delete(id);
      this.onExpired(session);
      return undefined;
    }
    session.lastSeen = this.now();
    return session;
  }

  /** Replace the session id after sign-in, so an id set before sign-in cannot be reused (session fixation). */
  promote(session: Session, technician: string): Session {
    this.sessions.delete(session.id);
    const promoted = { id: token(), csrf: token(), technician, flowId: null, lastSeen: this.now() };
    this.sessions.set(promoted.id, promoted);
    return promoted;
  }

  end(id: string): void {
    this.sessions.delete(id);
  }

  /** Drop every expired session; call it now and then, so sessions never seen again end too. */
  sweep(): void {
    for (const [id, session] of this.sessions) {
      if (!this.expired(session)) continue;
      this.sessions.delete(id);
      this.onExpired(session);
    }
  }

  private expired(session: Session): boolean {
    return this.now() - session.lastSeen > SESSION_IDLE_MS;
  }
}

export function csrfMatches(session: Session, submitted: string | undefined): boolean {
  if (submitted === undefined) return false;
  const expected = Buffer.from(session.csrf);
  const actual = Buffer.from(submitted);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function token(): string {
  return randomBytes(32).toString('base64url');
}
