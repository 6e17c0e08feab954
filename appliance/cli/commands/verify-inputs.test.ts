import fs from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { generateEncryptionKeyPair, generateSigningKeyPair, savePublicKey } from '../../../protocol/keys.js';
import { runCli } from '../../../test/helpers/cli.js';
import { makeTempDir } from '../../../test/helpers/faces.js';
import { createAuditFixture, recordSamples } from '../../audit/test-helpers.js';
import { verifyChain } from '../../audit/verify.js';
import { isFacegateError } from '../../common/errors.js';
import { EXIT } from '../context.js';

let workDir: string;
let deviceKeyFile: string;
let x25519KeyFile: string;
let p256KeyFile: string;
/** State folder whose audit log has entries but no checkpoint yet. */
let uncheckpointedDir: string;
/** State folder whose audit log has a checkpoint signed by the device key. */
let checkpointedDir: string;

const signing = generateSigningKeyPair();

async function auditLog(dir: string, checkpoint: boolean): Promise<void> {
  const fixture = createAuditFixture({ dir });
  recordSamples(fixture, 5);
  if (checkpoint) fixture.audit.createCheckpoint(signing.privateKey);
  await fixture.close();
}

beforeAll(async () => {
  workDir = makeTempDir('verify-inputs');
  deviceKeyFile = path.join(workDir, 'device-signing-key.pub.pem');
  x25519KeyFile = path.join(workDir, 'fleet-public.pem');
  p256KeyFile = path.join(workDir, 'fleet-p256-public.pem');
  savePublicKey(deviceKeyFile, signing.publicKey);
  savePublicKey(x25519KeyFile, generateEncryptionKeyPair('X25519').publicKey);
  savePublicKey(p256KeyFile, generateEncryptionKeyPair('P-256').publicKey);

  uncheckpointedDir = path.join(workDir, 'state-new');
  checkpointedDir = path.join(workDir, 'state-old');
  fs.mkdirSync(uncheckpointedDir);
  fs.mkdirSync(checkpointedDir);
  await auditLog(uncheckpointedDir, false);
  await auditLog(checkpointedDir, true);
});

afterAll(() => {
  if (workDir !== undefined) fs.rmSync(workDir, { recursive: true, force: true });
});

describe('consent verify receipt file', () => {
  it('names a missing receipt file', async () => {
    const missing = path.join(workDir, 'nosuch.jws');
    const run = await runCli(['consent', 'verify', missing, '--public-key', deviceKeyFile, '--lang', 'en', '--log-level', 'silent']);
    expect(run.code).toBe(EXIT.failed);
    expect(run.stderr).toContain(`Error: cannot read the receipt file ${missing} (ENOENT)`);
    expect(run.stderr).toContain('What to do: Check the file name.');
    expect(run.stderr).not.toContain('no such file or directory');
    expect(run.stdout).toBe('');
  });

  it('names a missing receipt in zh-Hant', async () => {
    const missing = path.join(workDir, 'nosuch.jws');
    const run = await runCli(['consent', 'verify', missing, '--public-key', deviceKeyFile, '--lang', 'zh-Hant', '--log-level', 'silent']);
    expect(run.code).toBe(EXIT.failed);
    expect(run.stderr).toContain(`錯誤：無法讀取收據檔案 ${missing}（ENOENT）`);
    expect(run.stderr).toContain('處理方法：請檢查檔案名稱。');
  });

  it('names a folder given as receipt', async () => {
    const run = await runCli(['consent', 'verify', workDir, '--public-key', deviceKeyFile, '--lang', 'en', '--log-level', 'silent']);
    expect(run.code).toBe(EXIT.failed);
    expect(run.stderr).toContain(`Error: cannot read the receipt file ${workDir} (EISDIR)`);
  });
});

describe('audit verify --key type', () => {
  for (const [name, dir] of [['without checkpoints', () => uncheckpointedDir], ['with checkpoints', () => checkpointedDir]] as const) {
    it(`rejects an X25519 key ${name}`, async () => {
      const run = await runCli(['audit', 'verify', '--state', dir(), '--key', x25519KeyFile, '--lang', 'en', '--log-level', 'silent']);
      expect(run.code).toBe(EXIT.failed);
      expect(run.stderr).toContain(`Error: ${x25519KeyFile} contains a key of type X25519, but checkpoints are signed with the device's Ed25519 signing key`);
      expect(run.stderr).toContain('keys/device-signing-key.pub.pem');
      expect(run.stdout).toBe('');
    });
  }

  it('rejects an X25519 key in zh-Hant', async () => {
    const run = await runCli(['audit', 'verify', '--state', uncheckpointedDir, '--key', x25519KeyFile, '--lang', 'zh-Hant', '--log-level', 'silent']);
    expect(run.code).toBe(EXIT.failed);
    expect(run.stderr).toContain(`錯誤：${x25519KeyFile} 的金鑰類型是 X25519`);
    expect(run.stderr).toContain('keys/device-signing-key.pub.pem');
  });

  it('rejects a P-256 key', async () => {
    const run = await runCli(['audit', 'verify', '--state', uncheckpointedDir, '--key', p256KeyFile, '--lang', 'en', '--log-level', 'silent']);
    expect(run.code).toBe(EXIT.failed);
    expect(run.stderr).toContain(`Error: ${p256KeyFile} contains a key of type EC prime256v1`);
  });

  it('rejects an X25519 key in report', async () => {
    const run = await runCli(['audit', 'report', '--state', checkpointedDir, '--key', x25519KeyFile, '--lang', 'en', '--log-level', 'silent']);
    expect(run.code).toBe(EXIT.failed);
    expect(run.stderr).toContain(`Error: ${x25519KeyFile} contains a key of type X25519`);
  });

  it('accepts the device key', async () => {
    for (const dir of [uncheckpointedDir, checkpointedDir]) {
      const run = await runCli(['audit', 'verify', '--state', dir, '--key', deviceKeyFile, '--json', '--log-level', 'silent']);
      expect(run.code, run.stderr).toBe(EXIT.ok);
      expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, signaturesChecked: true });
    }
  });
});

describe('verifyChain key type', () => {
  it('rejects an X25519 key on an empty log', () => {
    let caught: unknown;
    try {
      verifyChain([], [], { publicKey: generateEncryptionKeyPair('X25519').publicKey });
    } catch (error) {
      caught = error;
    }
    expect(isFacegateError(caught)).toBe(true);
    expect((caught as { code: string }).code).toBe('KEY_WRONG_TYPE');
  });
});
