import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { PROJECT_ROOT } from '../../appliance/common/paths.js';
import { freePort } from '../support/mosquitto.js';

// Helpers for the provisioning end-to-end tests: the CLI as a subprocess, and a Mosquitto that
// trusts the site CA made by `provision ca` (test/support/mosquitto.ts always makes its own PKI).

const ENTRY = path.join(PROJECT_ROOT, 'test', 'e2e', 'support', 'daemon-child.ts');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `facegate ARGS` from source in a child process, with LANG=C unless `env` sets another. */
export function facegate(args: readonly string[], env: Record<string, string> = {}): CliResult {
  const base = { ...process.env, LANG: 'C', LC_ALL: '', LC_MESSAGES: '', FACEGATE_LANG: '' };
  const result = spawnSync(process.execPath, ['--import', 'tsx', ENTRY, ...args], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...base, ...env },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

export interface SiteBroker {
  url: string;
  port: number;
  logs(): string;
  stop(): Promise<void>;
}

export interface SiteBrokerOptions {
  /** Working folder; every folder above it must be searchable by the mosquitto user when run as root. */
  dir: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  devices: Array<{ id: string; site: string }>;
  fleetUsers: string[];
}

/**
 * Mosquitto on a free loopback port with mutual TLS against the given CA, identity from the client
 * certificate's CN, and an ACL: each device writes only below its own topics, fleet users read all.
 */
export async function startSiteBroker(options: SiteBrokerOptions): Promise<SiteBroker> {
  fs.mkdirSync(options.dir, { recursive: true, mode: 0o755 });
  fs.chmodSync(options.dir, 0o755);
  const copy = (file: string, name: string, mode: number): string => {
    const target = path.join(options.dir, name);
    fs.copyFileSync(file, target);
    fs.chmodSync(target, mode);
    return target;
  };
  const ca = copy(options.caFile, 'ca.crt', 0o644);
  const cert = copy(options.certFile, 'server.crt', 0o644);
  const key = copy(options.keyFile, 'server.key', 0o600);
  const user = mosquittoUser();
  if (user !== undefined) fs.chownSync(key, user.uid, user.gid);

  const acl = [
    ...options.fleetUsers.flatMap((name) => [`user ${name}`, 'topic read facegate/v1/#', '']),
    ...options.devices.flatMap((device) => [`user ${device.id}`, `topic write facegate/v1/${device.site}/${device.id}/#`, `topic read facegate/v1/${device.site}/${device.id}/cmd/#`, '']),
  ].join('\n');
  fs.writeFileSync(path.join(options.dir, 'acl'), acl, { mode: 0o644 });
  const port = await freePort();
  const config = [
    ...(user === undefined ? [] : ['user mosquitto']),
    'per_listener_settings false',
    'allow_anonymous false',
    'persistence false',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_type information',
    'connection_messages true',
    `acl_file ${path.join(options.dir, 'acl')}`,
    `listener ${port} 127.0.0.1`,
    `cafile ${ca}`,
    `certfile ${cert}`,
    `keyfile ${key}`,
    'require_certificate true',
    'use_identity_as_username true',
    '',
  ].join('\n');
  const configFile = path.join(options.dir, 'mosquitto.conf');
  fs.writeFileSync(configFile, config, { mode: 0o644 });

  const lines: string[] = [];
  const child: ChildProcess = spawn(process.env.MOSQUITTO ?? '/usr/sbin/mosquitto', ['-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  const collect = (chunk: Buffer): void => void lines.push(...chunk.toString().split('\n').filter((line) => line !== ''));
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const deadline = Date.now() + 10_000;
  while (!lines.some((line) => /mosquitto version \S+ running/.test(line))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`Mosquitto did not start:\n${lines.join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    url: `mqtts://127.0.0.1:${port}`,
    port,
    logs: () => lines.join('\n'),
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Return the user Mosquitto drops to when started as root; undefined when not root. */
function mosquittoUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const entry = fs.readFileSync('/etc/passwd', 'utf8').split('\n').map((line) => line.split(':')).find((fields) => fields[0] === 'mosquitto');
  if (entry === undefined) throw new Error('Running as root needs the mosquitto user that the Debian package creates.');
  return { uid: Number(entry[2]), gid: Number(entry[3]) };
}

/** Return the base64 body of a PEM file, for checking that no output contains it. */
export function pemBody(file: string): string {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('-----'))
    .join('');
}
