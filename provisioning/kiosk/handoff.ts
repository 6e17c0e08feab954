import { createHash, randomBytes } from 'node:crypto';
import os from 'node:os';

interface HandoffToken {
  flowId: string;
  subjectId: string;
  expiresAt: number;
  used: boolean;
}

export type Redemption = { ok: true; flowId: string; subjectId: string } | { ok: false; reason: 'unknown' | 'used' | 'expired' };

/**
 * One-time links that move a worker's consent flow to their own phone. A token is 32 random bytes,
 * bound to one flow and subject, expires with the flow and works once. Only SHA-256 hashes of the
 * tokens are kept, and issuing a new token for a flow revokes the older ones.
 */
export class HandoffTokens {
  private readonly tokens = new Map<string, HandoffToken>();

  constructor(private readonly now: () => number = Date.now) {}

  issue(flowId: string, subjectId: string, expiresAt: number): string {
    this.revokeFlow(flowId);
    const token = randomBytes(32).toString('base64url');
    this.tokens.set(hash(token), { flowId, subjectId, expiresAt, used: false });
    return token;
  }

  /** Use a token; a used one stays known until it expires, so a second use is reported as such. */
  redeem(token: string): Redemption {
    const entry = this.tokens.get(hash(token));
    if (entry === undefined) return { ok: false, reason: 'unknown' };
    if (this.now() >= entry.expiresAt) {
      this.tokens.delete(hash(token));
      return { ok: false, reason: 'expired' };
    }
    if (entry.used) return { ok: false, reason: 'used' };
    entry.used = true;
    return { ok: true, flowId: entry.flowId, subjectId: entry.subjectId };
  }

  revokeFlow(flowId: string): void {
    for (const [key, entry] of this.tokens) if (entry.flowId === flowId) this.tokens.delete(key);
  }

  /** Forget expired tokens. */
  sweep(): void {
    for (const [key, entry] of this.tokens) if (this.now() >= entry.expiresAt) this.tokens.delete(key);
  }
}

function hash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Return the HTTPS address a phone on the LAN opens: `publicUrl` when set, else the listening address and
 * port, else (listening on every address) the first non-internal IPv4 address of the device.
 * Undefined when none is known. The phone must trust the kiosk certificate for that name or address.
 */
export function handoffBaseUrl(options: { host: string; port: number; publicUrl?: string | undefined }, interfaces = os.networkInterfaces()): string | undefined {
  if (options.publicUrl !== undefined) return options.publicUrl.replace(/\/+$/, '');
  const wildcard = options.host === '0.0.0.0' || options.host === '::';
  if (!wildcard) return `https://${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`;
  for (const addresses of Object.values(interfaces)) {
    const lan = addresses?.find((address) => address.family === 'IPv4' && !address.internal);
    if (lan !== undefined) return `https://${lan.address}:${options.port}`;
  }
  return undefined;
}
