import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../common/logger.js';
import { makeTempDir } from '../../test/helpers/faces.js';
import { attendanceEvent } from '../../protocol/event.js';
import { FallbackAuthenticator, PIN_ENTRY_TIMEOUT_MS, fallbackRecordRequest } from './authenticator.js';
import { CredentialStore } from './credentials.js';

let stateDir: string;
let credentials: CredentialStore;
let clock: number;
let authenticator: FallbackAuthenticator;

beforeEach(() => {
  stateDir = makeTempDir('fallback');
  credentials = CredentialStore.open({ stateDir, logger: silentLogger() });
  credentials.setPin('1001', '4821');
  credentials.addBadge('1001', '123:45678');
  clock = 1_000_000;
  authenticator = new FallbackAuthenticator(credentials, () => clock);
});

afterEach(() => {
  credentials.close();
  fs.rmSync(stateDir, { recursive: true, force: true });
});

describe('FallbackAuthenticator', () => {
  it('grants the right PIN', () => {
    expect(authenticator.keypadLine('1001')).toBeUndefined();
    expect(authenticator.keypadLine('4821')).toEqual({ method: 'pin', decision: 'granted', subjectId: '1001', reason: 'pin-ok' });
  });

  it('denies a wrong PIN', () => {
    authenticator.keypadLine('1001');
    expect(authenticator.keypadLine('0000')).toEqual({ method: 'pin', decision: 'denied', subjectId: null, reason: 'pin-wrong' });
  });

  it('starts over after the timeout', () => {
    authenticator.keypadLine('1001');
    clock += PIN_ENTRY_TIMEOUT_MS + 1;
    expect(authenticator.keypadLine('4821')).toBeUndefined();
  });

  it('resolves a badge', () => {
    expect(authenticator.badge('123:45678')).toEqual({ method: 'badge', decision: 'granted', subjectId: '1001', reason: 'badge-ok' });
    expect(authenticator.badge('123:1')).toEqual({ method: 'badge', decision: 'denied', subjectId: null, reason: 'badge-unknown' });
  });

  it('rejects a short PIN', () => {
    expect(() => credentials.setPin('1002', '12')).toThrow('must be 4 to 12 digits');
  });

  it('stores no PIN or badge in clear', () => {
    const bytes = fs.readFileSync(`${stateDir}/credentials.db`).toString('latin1') + (fs.existsSync(`${stateDir}/credentials.db-wal`) ? fs.readFileSync(`${stateDir}/credentials.db-wal`).toString('latin1') : '');
    expect(bytes).not.toContain('4821');
    expect(bytes).not.toContain('45678');
  });
});

describe('fallbackRecordRequest', () => {
  it('builds a schema-valid pin event', () => {
    const request = fallbackRecordRequest({ method: 'pin', decision: 'granted', subjectId: '1001', reason: 'pin-ok' }, (id) => `p-${id}`, true);
    expect(request).toEqual({ decision: 'granted', method: 'pin', subject: 'p-1001', scores: {}, doorActuated: true, reason: 'pin-ok' });
    const shape = attendanceEvent.pick({ decision: true, method: true, subject: true, scores: true, doorActuated: true, reason: true });
    expect(shape.safeParse(request).success).toBe(true);
  });
});
