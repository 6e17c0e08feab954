import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const UNIT = readFileSync(path.join(HERE, 'facegate.service'), 'utf8');
const hasTool = (tool: string): boolean => spawnSync(tool, ['--version']).status === 0;
const HAS_ANALYZE = hasTool('systemd-analyze');
const HAS_SYSUSERS = hasTool('systemd-sysusers') && hasTool('systemd-tmpfiles');

/** Values of a directive, in file order, ignoring comments. */
function directive(name: string): string[] {
  return UNIT.split('\n')
    .filter((line) => line.startsWith(`${name}=`))
    .map((line) => line.slice(name.length + 1));
}

let work: string;

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'facegate-unit-'));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('facegate.service directives', () => {
  it('is a notify service with a watchdog', () => {
    expect(directive('Type')).toEqual(['notify']);
    expect(directive('NotifyAccess')).toEqual(['main']);
    expect(directive('WatchdogSec')).toEqual(['30']);
    expect(directive('Restart')).toEqual(['on-failure']);
    expect(directive('ExecStart')).toEqual(['/opt/facegate/bin/facegate run --config /etc/facegate/facegate.yaml']);
  });

  it('runs as its own user with device groups', () => {
    expect(directive('User')).toEqual(['facegate']);
    expect(directive('Group')).toEqual(['facegate']);
    expect(directive('SupplementaryGroups')).toEqual(['gpio video']);
    expect(directive('StateDirectoryMode')).toEqual(['0700']);
  });

  it('allows only GPIO chips and cameras', () => {
    expect(directive('DevicePolicy')).toEqual(['closed']);
    expect(directive('DeviceAllow')).toEqual(expect.arrayContaining(['/dev/gpiochip0 rw', 'char-gpiochip rw', 'char-video4linux rw']));
    expect(directive('CapabilityBoundingSet')).toEqual(['']);
  });

  it('leaves the settings that break node or device access off', () => {
    // V8 needs writable-then-executable memory; PrivateUsers= would hide the gpio and video groups.
    expect(directive('MemoryDenyWriteExecute')).toEqual([]);
    expect(directive('PrivateUsers')).toEqual([]);
    expect(directive('PrivateDevices')).toEqual([]);
  });
});

// systemd-analyze works on unit files without systemd running as PID 1, which is the case in CI.
describe.skipIf(!HAS_ANALYZE)('facegate.service under systemd-analyze', () => {
  // verify checks that ExecStart= exists, and /opt/facegate is not installed here, so the copy points
  // at the node binary running this test, with the same arguments.
  function testableCopy(): string {
    const dir = path.join(work, 'unit');
    mkdirSync(dir, { recursive: true });
    const unitPath = path.join(dir, 'facegate.service');
    writeFileSync(unitPath, UNIT.replace('ExecStart=/opt/facegate/bin/facegate ', `ExecStart=${process.execPath} `));
    return unitPath;
  }

  it('passes verify without warnings', () => {
    const result = spawnSync('systemd-analyze', ['verify', testableCopy()], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('has an exposure level of at most 2.0', () => {
    const result = spawnSync('systemd-analyze', ['security', '--offline=true', testableCopy()], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    const match = /Overall exposure level for facegate\.service: (\d+\.\d+)/.exec(result.stdout);
    expect(match).not.toBeNull();
    const exposure = Number(match![1]);
    // Measured 1.5 ("OK") with systemd 252 on Debian 12.
    expect(exposure).toBeLessThanOrEqual(2.0);
  });
});

describe.skipIf(!HAS_SYSUSERS)('sysusers and tmpfiles snippets', () => {
  it('create the user, groups and folders in a scratch root', () => {
    const root = path.join(work, 'root');
    mkdirSync(path.join(root, 'etc'), { recursive: true });
    execFileSync('systemd-sysusers', [`--root=${root}`, path.join(HERE, 'facegate.sysusers.conf')], { stdio: 'pipe' });
    const passwd = readFileSync(path.join(root, 'etc', 'passwd'), 'utf8');
    const group = readFileSync(path.join(root, 'etc', 'group'), 'utf8');
    const user = /^facegate:x:(\d+):(\d+):[^:]*:\/var\/lib\/facegate:\/usr\/sbin\/nologin$/m.exec(passwd);
    expect(user).not.toBeNull();
    expect(group).toMatch(/^gpio:x:\d+:facegate$/m);
    expect(group).toMatch(/^video:x:\d+:facegate$/m);

    execFileSync('systemd-tmpfiles', ['--create', `--root=${root}`, path.join(HERE, 'facegate.tmpfiles.conf')], { stdio: 'pipe' });
    const state = statSync(path.join(root, 'var', 'lib', 'facegate'));
    expect(state.mode & 0o777).toBe(0o700);
    expect(state.uid).toBe(Number(user![1]));
    const config = statSync(path.join(root, 'etc', 'facegate'));
    expect(config.mode & 0o777).toBe(0o750);
    expect(config.uid).toBe(0);
    expect(config.gid).toBe(Number(user![2]));
  });
});
