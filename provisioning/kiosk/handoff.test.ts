import type os from 'node:os';
import { describe, expect, it } from 'vitest';
import { HandoffTokens, handoffBaseUrl } from './handoff.js';

describe('HandoffTokens', () => {
  it('redeems a token once', () => {
    const tokens = new HandoffTokens(() => 1_000);
    const token = tokens.issue('flow-1', 'w100', 2_000);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(tokens.redeem(token)).toEqual({ ok: true, flowId: 'flow-1', subjectId: 'w100' });
    expect(tokens.redeem(token)).toEqual({ ok: false, reason: 'used' });
  });

  it('expires a token', () => {
    let now = 1_000;
    const tokens = new HandoffTokens(() => now);
    const token = tokens.issue('flow-1', 'w100', 2_000);
    now = 2_000;
    expect(tokens.redeem(token)).toEqual({ ok: false, reason: 'expired' });
    expect(tokens.redeem(token)).toEqual({ ok: false, reason: 'unknown' });
  });

  it('revokes older tokens of a flow', () => {
    const tokens = new HandoffTokens(() => 0);
    const first = tokens.issue('flow-1', 'w100', 10);
    const other = tokens.issue('flow-2', 'w200', 10);
    const second = tokens.issue('flow-1', 'w100', 10);
    expect(tokens.redeem(first)).toEqual({ ok: false, reason: 'unknown' });
    expect(tokens.redeem(second).ok).toBe(true);
    expect(tokens.redeem(other).ok).toBe(true);
    expect(tokens.redeem('not-a-token')).toEqual({ ok: false, reason: 'unknown' });
  });
});

describe('handoffBaseUrl', () => {
  const lan = { eth0: [{ address: '192.168.1.20', family: 'IPv4', internal: false }], lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }] } as unknown as ReturnType<typeof os.networkInterfaces>;

  it('prefers kiosk.publicUrl', () => {
    expect(handoffBaseUrl({ host: '0.0.0.0', port: 8443, publicUrl: 'https://gate-01.site.example:8443/' }, lan)).toBe('https://gate-01.site.example:8443');
  });

  it('uses a specific listening address', () => {
    expect(handoffBaseUrl({ host: '10.0.0.5', port: 8443 }, lan)).toBe('https://10.0.0.5:8443');
    expect(handoffBaseUrl({ host: 'fd00::5', port: 8443 }, lan)).toBe('https://[fd00::5]:8443');
  });

  it('finds the LAN address behind 0.0.0.0', () => {
    expect(handoffBaseUrl({ host: '0.0.0.0', port: 8443 }, lan)).toBe('https://192.168.1.20:8443');
    expect(handoffBaseUrl({ host: '::', port: 8443 }, { lo: lan.lo })).toBeUndefined();
  });
});
