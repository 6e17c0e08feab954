import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';

import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { silentLogger } from '../common/logger.js';
import { DATA_KEY_BYTES, dataKeyPath, loadOrCreateDataKey } from './data-key.js';
import { captureFacegateError } from './test-helpers.js';

let stateDir: string;

beforeEach(() => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'facegate-data-key-'));
});

afterEach(() => {
  fs.rmSync(stateDir, { recursive: true, force: true });
});

function modeOf(target: string): number {
  return fs.statSync(target).mode & 0o777;
}

describe('loadOrCreateDataKey', () => {
  it('creates a 0600 key in a 0700 folder', () => {
    const key = loadOrCreateDataKey(stateDir, silentLogger());
    const file = dataKeyPath(stateDir);

    expect(file).toBe(path.join(stateDir, 'keys', 'data.key'));
    expect(key.length).toBe(DATA_KEY_BYTES);
    expect(modeOf(file)).toBe(0o600);
    expect(modeOf(path.dirname(file))).toBe(0o700);
    expect(fs.readFileSync(file).equals(key)).toBe(true);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['data.key']);
  });

  it('returns the same key on later calls', () => {
    const first = loadOrCreateDataKey(stateDir, silentLogger());
    const second = loadOrCreateDataKey(stateDir, silentLogger());

    expect(second.equals(first)).toBe(true);
    expect(first.equals(Buffer.alloc(DATA_KEY_BYTES))).toBe(false);
  });

  it('creates a 0600 key under a permissive umask', () => {
    const previous = process.umask(0o000);
    try {
      loadOrCreateDataKey(stateDir, silentLogger());
    } finally {
      process.umask(previous);
    }
    expect(modeOf(dataKeyPath(stateDir))).toBe(0o600);
  });

  it('rejects a 0644 key with the chmod fix', () => {
    loadOrCreateDataKey(stateDir, silentLogger());
    const file = dataKeyPath(stateDir);
    fs.chmodSync(file, 0o644);

    const error = captureFacegateError(() => loadOrCreateDataKey(stateDir, silentLogger()), 'DATA_KEY_MODE_TOO_OPEN');
    expect(error.message).toContain(file);
    expect(error.message).toContain('0644');
    expect(error.hint).toContain(`chmod 600 ${file}`);
  });

  it('rejects a group-readable 0640 key', () => {
    loadOrCreateDataKey(stateDir, silentLogger());
    fs.chmodSync(dataKeyPath(stateDir), 0o640);

    captureFacegateError(() => loadOrCreateDataKey(stateDir, silentLogger()), 'DATA_KEY_MODE_TOO_OPEN');
  });

  it('accepts a read-only 0400 key', () => {
    const key = loadOrCreateDataKey(stateDir, silentLogger());
    fs.chmodSync(dataKeyPath(stateDir), 0o400);

    expect(loadOrCreateDataKey(stateDir, silentLogger()).equals(key)).toBe(true);
  });

  it('rejects a keys folder other users can enter', () => {
    loadOrCreateDataKey(stateDir, silentLogger());
    const folder = path.dirname(dataKeyPath(stateDir));
    fs.chmodSync(folder, 0o755);

    const error = captureFacegateError(() => loadOrCreateDataKey(stateDir, silentLogger()), 'DATA_KEY_MODE_TOO_OPEN');
    expect(error.hint).toContain(`chmod 700 ${folder}`);
  });

  it('rejects a key of the wrong length', () => {
    const file = dataKeyPath(stateDir);
    fs.mkdirSync(path.dirname(file), { mode: 0o700 });
    fs.writeFileSync(file, Buffer.alloc(31, 7), { mode: 0o600 });

    const error = captureFacegateError(() => loadOrCreateDataKey(stateDir, silentLogger()), 'DATA_KEY_INVALID_LENGTH');
    expect(error.message).toContain(file);
    expect(error.message).toContain('31 bytes');
  });

  it('rejects a key path that is a folder', () => {
    const file = dataKeyPath(stateDir);
    fs.mkdirSync(file, { recursive: true, mode: 0o700 });
    fs.chmodSync(path.dirname(file), 0o700);

    captureFacegateError(() => loadOrCreateDataKey(stateDir, silentLogger()), 'DATA_KEY_NOT_A_FILE');
  });

  it('never writes the key to the log', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const logger = pino({ level: 'trace' }, sink);

    const key = loadOrCreateDataKey(stateDir, logger);
    loadOrCreateDataKey(stateDir, logger);
    const log = lines.join('');

    expect(log).toContain('created device data key');
    for (const encoding of ['hex', 'base64', 'base64url'] as const) {
      expect(log).not.toContain(key.toString(encoding));
    }
  });
});
