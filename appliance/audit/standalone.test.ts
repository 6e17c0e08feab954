import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../common/logger.js';
import { DeviceAuditReader } from './source.js';
import { commandLineActor, deviceNamesFor, recordStandalone } from './standalone.js';
import { createAuditFixture, type AuditFixture } from './test-helpers.js';
import { verifyChain } from './verify.js';

const CHILD_ENTRIES = 40;

function runChild(stateDir: string, count: number): Promise<number | null> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'appliance/audit/standalone-child.ts', stateDir, String(count)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve) => child.once('exit', (code) => {
    if (code !== 0) process.stderr.write(stderr);
    resolve(code);
  }));
}

describe('standalone audit entries', () => {
  let fixture: AuditFixture | undefined;

  afterEach(async () => {
    await fixture?.close();
    if (fixture !== undefined) fs.rmSync(fixture.dir, { recursive: true, force: true });
    fixture = undefined;
  });

  it('names the device from identity.json first', () => {
    fixture = createAuditFixture({ deviceId: 'gate-07', siteId: 'site-b' });
    expect(deviceNamesFor(fixture.dir)).toBeUndefined();
    fixture.audit.record({ actor: { kind: 'system', id: null }, action: 'service.start', outcome: 'success' });
    expect(deviceNamesFor(fixture.dir)).toEqual({ deviceId: 'gate-07', siteId: 'site-b' });
    fs.writeFileSync(path.join(fixture.dir, 'identity.json'), JSON.stringify({ v: 1, deviceId: 'gate-08', siteId: 'site-c' }));
    expect(deviceNamesFor(fixture.dir)).toEqual({ deviceId: 'gate-08', siteId: 'site-c' });
  });

  it('writes nothing for an unnamed device', async () => {
    fixture = createAuditFixture();
    const entry = await recordStandalone(fixture.dir, { actor: commandLineActor({}), action: 'enrolment.add', outcome: 'success' }, silentLogger());
    expect(entry).toBeUndefined();
    expect(fixture.audit.head().size).toBe(0);
  });

  it('keeps one chain with a second process appending', async () => {
    fixture = createAuditFixture();
    fixture.audit.record({ actor: { kind: 'system', id: null }, action: 'service.start', outcome: 'success' });
    const child = runChild(fixture.dir, CHILD_ENTRIES);
    // The daemon side keeps recording while the child appends to the same file.
    let own = 1;
    let done = false;
    void child.then(() => (done = true));
    while (!done) {
      fixture.audit.record({ actor: { kind: 'system', id: null }, action: 'door.forced', object: { kind: 'door', id: 'main' }, outcome: 'failure' });
      own += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(await child).toBe(0);

    expect(fixture.audit.head().size).toBe(own + CHILD_ENTRIES);
    const reader = DeviceAuditReader.open(fixture.dir);
    try {
      const snapshot = reader.snapshot();
      const result = verifyChain(snapshot.entries, snapshot.checkpoints);
      expect(result.ok).toBe(true);
      expect(result.entries).toBe(own + CHILD_ENTRIES);
      expect(snapshot.entries.filter((entry) => entry.action === 'enrolment.add')).toHaveLength(CHILD_ENTRIES);
    } finally {
      reader.close();
    }
  });

  it('names the sudo user as the technician', () => {
    expect(commandLineActor({ SUDO_USER: 'tech.lee' })).toEqual({ kind: 'technician', id: 'tech.lee' });
    expect(commandLineActor({ SUDO_USER: 'bad name' })).toEqual({ kind: 'technician', id: null });
  });
});
