import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { generateEncryptionKeyPair, savePublicKey } from '../../protocol/keys.js';
import { initDevice } from '../../provisioning/identity/init.js';
import { statePaths } from '../../provisioning/paths.js';
import { createSiteCa, signCsr, siteCaPaths } from '../../provisioning/pki/site-ca.js';
import { signWithDates } from '../../provisioning/testing.js';
import { runCli } from '../helpers/cli.js';
import { captureLogs } from '../support/logs.js';
import { startBroker, type TestBroker } from '../support/mosquitto.js';
import { facegate } from './provision-support.js';

// The technician's view of rejected certificates and of the language choice, through the real CLI
// entry point in both languages.

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facegate-provision-cli-'));
fs.chmodSync(dir, 0o755);
const device = statePaths(path.join(dir, 'gate-01'));
const other = statePaths(path.join(dir, 'gate-02'));
const siteCa = path.join(dir, 'site-ca');
const rogueCa = path.join(dir, 'rogue-ca');
const fleetKey = path.join(dir, 'fleet.pem');
const cert = (name: string) => path.join(dir, `${name}.crt`);
let broker: TestBroker | undefined;

/** `facegate ARGS` in this process, with only the given language settings. */
function cli(args: string[], language: { FACEGATE_LANG?: string; LANG?: string } = { FACEGATE_LANG: 'en' }) {
  return runCli(['--log-level', 'silent', ...args], { FACEGATE_LANG: undefined, LC_ALL: undefined, LC_MESSAGES: undefined, LANG: 'C', ...language });
}

function installArgs(certFile: string, state = device.stateDir, ca = siteCaPaths(siteCa).cert): string[] {
  return ['provision', 'install-cert', '--state', state, '--cert', certFile, '--ca', ca, '--fleet-key', fleetKey, '--config', path.join(dir, 'absent.yaml')];
}

beforeAll(async () => {
  const logger = captureLogs().logger;
  await initDevice({ paths: device, deviceId: 'gate-01', siteId: 'mo-taipa', owner: undefined, logger });
  await initDevice({ paths: other, deviceId: 'gate-02', siteId: 'mo-taipa', owner: undefined, logger });
  await createSiteCa({ dir: siteCa, name: 'Taipa site CA', days: 365 });
  await createSiteCa({ dir: rogueCa, name: 'rogue CA', days: 365 });
  savePublicKey(fleetKey, generateEncryptionKeyPair().publicKey);
  await signCsr({ caDir: siteCa, csrFile: device.csr, out: cert('gate-01'), days: 90 });
  await signCsr({ caDir: siteCa, csrFile: other.csr, out: cert('gate-02'), days: 90 });
  await signCsr({ caDir: rogueCa, csrFile: device.csr, out: cert('rogue'), days: 90 });
  await signWithDates(siteCa, device.csr, cert('expired'), '20200101000000Z', '20200201000000Z');
});

afterAll(async () => {
  await broker?.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('install-cert rejections', () => {
  it('rejects the certificate of another device and says why, in English and Chinese', async () => {
    const english = await cli(installArgs(cert('gate-02')));
    expect(english.code).toBe(1);
    expect(english.stderr).toContain(`Error: the certificate ${cert('gate-02')} was not installed; 2 problem(s):`);
    expect(english.stderr).toContain('  - the certificate belongs to another key');
    expect(english.stderr).toContain('  - the certificate is issued to CN=gate-02, but this device is gate-01');
    expect(english.stderr).toContain("    Fix: Install the certificate signed for this device's own request.");
    expect(english.stderr).toContain('What to do: Nothing was changed on the device.');

    const chinese = await cli(installArgs(cert('gate-02')), { FACEGATE_LANG: 'zh-Hant' });
    expect(chinese.code).toBe(1);
    expect(chinese.stderr).toContain(`錯誤：憑證 ${cert('gate-02')} 未安裝；共有 2 個問題：`);
    expect(chinese.stderr).toContain('此憑證屬於另一把金鑰');
    expect(chinese.stderr).toContain('此憑證簽發給 CN=gate-02，但本設備是 gate-01');
    expect(chinese.stderr).toContain('處理方法：設備上沒有任何變更。');
    expect(fs.existsSync(device.certificate)).toBe(false);
  });

  it('rejects an expired certificate', async () => {
    const english = await cli(installArgs(cert('expired')));
    expect(english.code).toBe(1);
    expect(english.stderr).toContain('the certificate expired on 2020-02-01 08:00 +08:00');
    expect(english.stderr).toContain('check the device clock first (timedatectl)');
    const chinese = await cli(installArgs(cert('expired')), { FACEGATE_LANG: 'zh-Hant' });
    expect(chinese.stderr).toContain('此憑證已於 2020-02-01 08:00 +08:00 過期');
  });

  it('rejects a certificate signed by another CA', async () => {
    const english = await cli(installArgs(cert('rogue')));
    expect(english.code).toBe(1);
    expect(english.stderr).toContain('the certificate is not signed by the CA given (its issuer: O=facegate, CN=rogue CA)');
    expect(english.stderr).toContain('Pass the CA that signed it with --client-ca');
    const chinese = await cli(installArgs(cert('rogue')), { FACEGATE_LANG: 'zh-Hant' });
    expect(chinese.stderr).toContain('此憑證不是由指定的 CA 簽發（簽發者：O=facegate, CN=rogue CA）');
  });

  it('installs the right certificate', async () => {
    const result = await cli(installArgs(cert('gate-01')));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Certificate installed for device gate-01:');
    expect(fs.existsSync(device.certificate)).toBe(true);
  });
});

describe('the broker and a certificate it does not trust', () => {
  it('fails the broker check with what to check', async () => {
    // The test broker trusts only its own CA; this device's certificate comes from the site CA.
    broker = await startBroker({ dir: path.join(dir, 'broker'), devices: ['gate-01'] });
    const state = statePaths(path.join(dir, 'untrusted'));
    await initDevice({ paths: state, deviceId: 'gate-01', siteId: 'mo-taipa', owner: undefined, logger: captureLogs().logger });
    await signCsr({ caDir: siteCa, csrFile: state.csr, out: cert('untrusted'), days: 90 });
    const install = await cli([...installArgs(cert('untrusted'), state.stateDir, broker.caFile), '--client-ca', siteCaPaths(siteCa).cert]);
    expect(install.code, install.stderr).toBe(0);
    const configFile = path.join(dir, 'untrusted.yaml');
    const configure = await cli([
      'provision', 'configure', '--config', configFile, '--state', state.stateDir, '--direction', 'in', '--camera', 'v4l2',
      '--gpio', 'simulated', '--relay', 'GPIO17', '--broker', broker.url, '--allowed-broker', '127.0.0.1',
    ]);
    expect(configure.code, configure.stderr).toBe(0);

    const selftest = await cli(['provision', 'selftest', '--config', configFile, '--non-interactive', '--skip', 'gpio,camera,vision,clock']);
    expect(selftest.code).toBe(1);
    expect(selftest.stdout).toMatch(/Device certificate\s+PASS/);
    expect(selftest.stdout).toMatch(new RegExp(`Broker connection\\s+FAIL\\s+cannot connect to ${broker.url.replace(/[.]/g, '\\.')}`));
    expect(selftest.stdout).toMatch(/What to check:\n\s+Broker connection: .*(CA|certificate|broker)/);

    const chinese = await cli(['provision', 'selftest', '--config', configFile, '--non-interactive', '--skip', 'gpio,camera,vision,clock'], { FACEGATE_LANG: 'zh-Hant' });
    expect(chinese.stdout).toMatch(/代理伺服器連線\s+失敗\s+無法連線至/);
    expect(chinese.stdout).toContain('請檢查：');
  });
});

describe('the technician language', () => {
  const zhHansConfig = path.join(dir, 'zh-hans.yaml');

  beforeAll(async () => {
    const result = await cli([
      'provision', 'configure', '--config', zhHansConfig, '--state', device.stateDir, '--direction', 'out', '--locale', 'zh-Hans',
      '--camera', 'v4l2', '--gpio', 'simulated', '--relay', 'GPIO17', '--broker', 'mqtts://127.0.0.1:8883', '--allowed-broker', '127.0.0.1',
    ]);
    expect(result.code, result.stderr).toBe(0);
  });

  it('follows the POSIX locale when nothing else is set', async () => {
    const result = await cli(['provision', 'status', '--state', device.stateDir, '--config', path.join(dir, 'absent.yaml')], { LANG: 'zh_MO.UTF-8' });
    expect(result.stdout).toContain('場地 mo-taipa 的設備 gate-01');
    expect(result.stdout).toContain('憑證：CN=gate-01');
  });

  it('takes device.locale from the configuration over the POSIX locale', async () => {
    const result = await cli(['provision', 'status', '--config', zhHansConfig], { LANG: 'en_US.UTF-8' });
    expect(result.stdout).toContain('场地 mo-taipa 的设备 gate-01');
    expect(result.stdout).toContain('配置 ');
  });

  it('takes --lang and FACEGATE_LANG over the configuration', async () => {
    const flag = await cli(['--lang', 'en', 'provision', 'status', '--config', zhHansConfig], { LANG: 'zh_MO.UTF-8' });
    expect(flag.stdout).toContain('Device gate-01 at site mo-taipa');
    const env = await cli(['provision', 'status', '--config', zhHansConfig], { FACEGATE_LANG: 'pt' });
    expect(env.stdout).toContain('Dispositivo gate-01 do local mo-taipa');
    // In a process of its own, --lang is seen even when it names the POSIX locale's language.
    const separate = facegate(['--lang', 'en', 'provision', 'status', '--config', zhHansConfig], { LANG: 'en_US.UTF-8' });
    expect(separate.stdout).toContain('Device gate-01 at site mo-taipa');
    const configured = facegate(['provision', 'status', '--config', zhHansConfig], { LANG: 'en_US.UTF-8' });
    expect(configured.stdout).toContain('场地 mo-taipa 的设备 gate-01');
  });

  it('prints the help and usage errors in the chosen language', async () => {
    expect((await cli(['provision', '--help'])).stdout).toContain('Usage: facegate provision SUBCOMMAND [options]');
    expect((await cli(['provision', '--help'], { FACEGATE_LANG: 'zh-Hant' })).stdout).toContain('用法：facegate provision 子指令 [選項]');
    const unknown = await cli(['provision', 'enrol'], { FACEGATE_LANG: 'zh-Hant' });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown subcommand "enrol"');
    expect(unknown.stderr).toContain('執行「facegate provision --help」查看選項。');
  });
});
