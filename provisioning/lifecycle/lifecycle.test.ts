import fs from 'node:fs';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { Gallery } from '../../appliance/gallery/store.js';
import { Outbox } from '../../appliance/outbox/outbox.js';
import { eventSealer, envelopeTestKeys } from '../../test/support/events.js';
import { runFactoryResetCommand, runStatus } from '../cli/lifecycle-commands.js';
import { initDevice } from '../identity/init.js';
import { statePaths } from '../paths.js';
import { importRosterFile } from '../roster/import.js';
import { captureIo, scriptedPrompter, tempDir } from '../testing.js';
import { shredFile } from './shred.js';

const root = tempDir();
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** Create a device with an identity, one enrolled subject, two outbox events (one delivered) and a roster. */
async function populatedDevice(name: string) {
  const stateDir = path.join(root, name);
  const paths = statePaths(stateDir);
  const io = captureIo();
  await initDevice({ paths, deviceId: name, siteId: 'mo-taipa', owner: undefined, logger: io.logger });

  const gallery = Gallery.open({ stateDir, logger: io.logger });
  const embedding = new Float32Array(512).map((_, index) => Math.sin(index + 1));
  gallery.addSubject('W1');
  gallery.addTemplates('W1', [embedding], { modelVersion: 'test', quality: 1 });
  gallery.close();

  const outbox = Outbox.open({ stateDir, deviceId: name, logger: io.logger });
  const seal = eventSealer(envelopeTestKeys(), { deviceId: name, siteId: 'mo-taipa' });
  const first = await outbox.enqueue({ seal });
  await outbox.enqueue({ seal });
  outbox.markDelivered(first.id);
  await outbox.close();

  const csv = path.join(root, `${name}.csv`);
  fs.writeFileSync(csv, 'worker_id,display_name,domicile\nW1,陳大文,macau\nW2,Ana,other\n');
  importRosterFile({ file: csv, stateDir, logger: io.logger, now: new Date() });
  return { stateDir, paths };
}

describe('shredFile', () => {
  it('overwrites the bytes before it unlinks the file', () => {
    const file = path.join(root, 'secret.bin');
    const secret = Buffer.from('-----BEGIN PRIVATE KEY-----\nnot really a key\n');
    fs.writeFileSync(file, secret);
    // A second name for the same inode shows what the disk blocks hold after the shred.
    const witness = path.join(root, 'witness.bin');
    fs.linkSync(file, witness);
    expect(shredFile(file)).toBe(secret.length);
    expect(fs.existsSync(file)).toBe(false);
    const after = fs.readFileSync(witness);
    expect(after.length).toBe(secret.length);
    expect(after.equals(secret)).toBe(false);
    expect(after.toString('latin1')).not.toContain('PRIVATE KEY');
  });
});

describe('provision status', () => {
  it('reports identity, gallery, outbox, roster and models', async () => {
    const { stateDir } = await populatedDevice('gate-20');
    const io = captureIo();
    expect(await runStatus(io, ['--state', stateDir, '--config', path.join(root, 'none.yaml')])).toBe(0);
    expect(io.out()).toContain(`Configuration: ${path.join(root, 'none.yaml')} not found; run "facegate provision configure".`);
    const status = captureIo();
    // Without a configuration file the status still reads the state folder.
    expect(await runStatus(status, ['--state', stateDir, '--json'])).toBe(0);
    const report = JSON.parse(status.out()) as Record<string, any>;
    expect(report.identity).toMatchObject({ deviceId: 'gate-20', siteId: 'mo-taipa' });
    expect(report.gallery).toEqual({ subjects: 1, templates: 1 });
    expect(report.outbox).toMatchObject({ pending: 1, delivered: 1, quarantined: 0 });
    expect(report.roster).toEqual({ workers: 2 });
    expect(report.certificate).toBeUndefined();
    expect(report.models.map((model: { state: string }) => model.state)).toEqual(['ok', 'ok', 'ok', 'ok']);

    const text = captureIo({ locale: 'zh-Hant' });
    expect(await runStatus(text, ['--state', stateDir])).toBe(0);
    expect(text.out()).toContain('場地 mo-taipa 的設備 gate-20');
    expect(text.out()).toContain('人臉庫：已登記 1 名員工，1 個範本');
    expect(text.out()).toContain('待發佇列：1 個事件等待傳送，0 個已隔離');
    expect(text.out()).toContain('名冊：2 名員工');
    expect(text.out()).toContain('憑證：尚未安裝');
  });
});

describe('provision factory-reset', () => {
  it('destroys nothing when the typed id is wrong', async () => {
    const { stateDir, paths } = await populatedDevice('gate-21');
    const before = fs.readFileSync(paths.signingKey, 'utf8');
    const io = captureIo({ prompter: scriptedPrompter(['gate-2']) });
    await expect(runFactoryResetCommand(io, ['--state', stateDir])).rejects.toMatchObject({ code: 'provision.reset_not_confirmed' });
    expect(fs.readFileSync(paths.signingKey, 'utf8')).toBe(before);
    expect(io.out()).toContain('This destroys the following, and it cannot be undone:');
    expect(io.out()).toContain('1 enrolled worker(s) and their face templates');
    expect(io.out()).toContain('1 event(s) not yet delivered and 1 delivered record(s)');
    expect(io.err()).toContain('1 attendance event(s) have not reached the broker and will be lost');
  });

  it('refuses to ask without a terminal', async () => {
    const { stateDir, paths } = await populatedDevice('gate-22');
    await expect(runFactoryResetCommand(captureIo(), ['--state', stateDir])).rejects.toMatchObject({ code: 'provision.reset_needs_terminal' });
    expect(fs.existsSync(paths.signingKey)).toBe(true);
  });

  it('overwrites and deletes keys, templates and records after the device id is typed', async () => {
    const { stateDir, paths } = await populatedDevice('gate-23');
    const keyWitness = path.join(root, 'gate-23-key-witness');
    fs.linkSync(paths.tlsKey, keyWitness);
    const keyText = fs.readFileSync(paths.tlsKey, 'utf8');
    const prompter = scriptedPrompter(['gate-23']);
    const io = captureIo({ locale: 'zh-Hant', prompter });

    expect(await runFactoryResetCommand(io, ['--state', stateDir])).toBe(0);
    expect(prompter.questions[0]).toContain('輸入設備編號 gate-23');
    expect(fs.readdirSync(stateDir)).toEqual([]);
    expect(fs.readFileSync(keyWitness, 'utf8')).not.toBe(keyText);
    expect(io.out()).toContain('此操作無法復原');
    expect(io.out()).toContain('已還原原廠設定');
    // The device can be provisioned again.
    await initDevice({ paths, deviceId: 'gate-23', siteId: 'mo-taipa', owner: undefined, logger: io.logger });
  });

  it('resets unattended, rejects other folders', async () => {
    const { stateDir } = await populatedDevice('gate-24');
    expect(await runFactoryResetCommand(captureIo(), ['--state', stateDir, '--yes-destroy-everything'])).toBe(0);
    expect(fs.readdirSync(stateDir)).toEqual([]);

    const other = path.join(root, 'photos');
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, 'holiday.jpg'), 'jpeg');
    await expect(runFactoryResetCommand(captureIo(), ['--state', other, '--yes-destroy-everything'])).rejects.toMatchObject({ code: 'provision.reset_unsafe_dir' });
    expect(fs.existsSync(path.join(other, 'holiday.jpg'))).toBe(true);
  });
});
