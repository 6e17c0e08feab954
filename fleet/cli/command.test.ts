import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../appliance/cli/context.js';
import { loadPrivateKey, loadPublicKey, keyId, savePrivateKey, savePublicKey } from '../../protocol/keys.js';
import { envelopeTestKeys } from '../../test/support/events.js';
import { runCli } from '../../test/helpers/cli.js';
import { operatorTestKey } from '../../test/support/commands.js';
import { operatorFromKeyFile, parseArguments, parseDuration } from './command.js';

let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facegate-fleet-command-'));
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('fleet command options', () => {
  it('parses arguments', () => {
    expect(parseArguments(['subject=W-0001', 'reason=asked by e-mail = today'])).toEqual({ subject: 'W-0001', reason: 'asked by e-mail = today' });
    expect(parseArguments([])).toEqual({});
  });

  it.each([
    [['subject'], 'must be KEY=VALUE'],
    [['=W-0001'], 'must be KEY=VALUE'],
    [['subject=a', 'subject=b'], 'given twice'],
    [['Subject=a'], 'argument names'],
    [['subject='], 'may not be empty'],
    [[`reason=${'x'.repeat(129)}`], 'at most 128'],
    [['__proto__=W-0001'], 'argument names'],
  ])('rejects arguments %j', (options, text) => {
    expect(() => parseArguments(options)).toThrow(UsageError);
    expect(() => parseArguments(options)).toThrow(text);
  });

  it.each([
    ['90s', 90_000],
    ['10m', 600_000],
    ['2h', 7_200_000],
    ['24h', 86_400_000],
  ])('parses duration %s', (text, ms) => {
    expect(parseDuration('expires', text, 86_400_000)).toBe(ms);
  });

  it.each(['0s', '25h', '10', '1.5m', '-1m', 'soon'])('rejects duration %s', (text) => {
    expect(() => parseDuration('expires', text, 86_400_000)).toThrow(/--expires .* must be a duration from 1s to 1440m/);
  });

  it.each([
    ['/home/lee/ops-lee.private.pem', 'ops-lee'],
    ['ops-lee.key.pem', 'ops-lee'],
    ['ops-lee.pem', 'ops-lee'],
  ])('names the operator of %s', (file, name) => {
    expect(operatorFromKeyFile(file)).toBe(name);
  });
});

describe('facegate fleet operator-key create', () => {
  it('writes a key pair with safe modes', async () => {
    const out = path.join(dir, 'keys');
    const run = await runCli(['fleet', 'operator-key', 'create', '--out', out, '--name', 'ops-lee', '--lang', 'en', '--log-level', 'silent']);
    expect(run.code).toBe(0);
    const privateFile = path.join(out, 'ops-lee.private.pem');
    const publicFile = path.join(out, 'ops-lee.public.pem');
    expect(fs.statSync(privateFile).mode & 0o777).toBe(0o600);
    expect(fs.statSync(publicFile).mode & 0o777).toBe(0o644);
    const kid = keyId(loadPublicKey(publicFile));
    expect(keyId(loadPrivateKey(privateFile))).toBe(kid);
    expect(run.stdout).toContain(`Created the key pair of operator ops-lee (kid ${kid}).`);
    expect(run.stdout).toContain('/var/lib/facegate/keys/operators');
    expect(fs.readFileSync(publicFile, 'utf8')).toContain('BEGIN PUBLIC KEY');
  });

  it('keeps an existing key', async () => {
    const out = path.join(dir, 'keys');
    const before = fs.readFileSync(path.join(out, 'ops-lee.private.pem'), 'utf8');
    const run = await runCli(['fleet', 'operator-key', 'create', '--out', out, '--name', 'ops-lee', '--lang', 'zh-Hant', '--log-level', 'silent']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('已存在');
    expect(fs.readFileSync(path.join(out, 'ops-lee.private.pem'), 'utf8')).toBe(before);
  });

  it('rejects an invalid name', async () => {
    const run = await runCli(['fleet', 'operator-key', 'create', '--out', dir, '--name', 'ops lee', '--lang', 'pt', '--log-level', 'silent']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('"ops lee" não é um nome de operador válido');
  });

  it('needs --out', async () => {
    const run = await runCli(['fleet', 'operator-key', 'create', '--log-level', 'silent']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('needs --out DIR');
  });
});

describe('facegate fleet command errors', () => {
  let configFile: string;
  let keyFile: string;

  beforeAll(() => {
    const keys = envelopeTestKeys();
    savePrivateKey(path.join(dir, 'fleet.pem'), keys.fleet.privateKey);
    savePublicKey(path.join(dir, 'gate-01.pub.pem'), keys.device.publicKey);
    fs.writeFileSync(path.join(dir, 'client.pem'), 'unused: the command fails before connecting');
    configFile = path.join(dir, 'fleet.yaml');
    fs.writeFileSync(
      configFile,
      JSON.stringify({
        broker: { url: 'mqtts://127.0.0.1:1', caFile: 'client.pem', certFile: 'client.pem', keyFile: 'client.pem' },
        fleetKeys: ['fleet.pem'],
        devices: [{ id: 'gate-01', site: 'mo-01', publicKey: 'gate-01.pub.pem' }],
      }),
    );
    keyFile = path.join(dir, 'ops-lee.private.pem');
    savePrivateKey(keyFile, operatorTestKey('ops-lee').privateKey);
  });

  const base = () => ['fleet', 'command', '--config', configFile, '--site', 'mo-01', '--device', 'gate-01', '--name', 'ping', '--operator-key', keyFile, '--log-level', 'silent'];

  it.each([
    ['--site', 'command needs --site'],
    ['--operator-key', 'command needs --operator-key'],
  ])('needs %s', async (option, text) => {
    const argv = base();
    argv.splice(argv.indexOf(option), 2);
    const run = await runCli(argv);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(text);
  });

  it('rejects a command name with capitals', async () => {
    const argv = base();
    argv[argv.indexOf('ping')] = 'Ping';
    const run = await runCli(argv);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('is not a command name');
  });

  it('rejects a device the fleet does not know', async () => {
    const argv = base();
    argv[argv.indexOf('gate-01')] = 'gate-09';
    const run = await runCli([...argv, '--lang', 'zh-Hant']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('沒有列出場地 mo-01 的裝置 gate-09');
  });

  it('rejects a key readable by others', async () => {
    const loose = path.join(dir, 'ops-chan.private.pem');
    savePrivateKey(loose, operatorTestKey('ops-chan').privateKey);
    fs.chmodSync(loose, 0o644);
    const argv = base();
    argv[argv.indexOf(keyFile)] = loose;
    const run = await runCli([...argv, '--lang', 'en']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`cannot use the operator key ${loose}`);
    expect(run.stderr).toContain('mode 0600');
  });

  it('reports an unreachable broker', async () => {
    const run = await runCli([...base(), '--lang', 'en']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('cannot connect to the broker mqtts://127.0.0.1:1');
  });
});
