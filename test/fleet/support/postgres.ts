import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../support/mosquitto.js';

/**
 * A throwaway PostgreSQL 15 cluster for tests and the benchmark: initdb in a temporary folder, a
 * server on a free loopback port with trust authentication, one database. initdb refuses to run as
 * root, so as root the cluster belongs to the `postgres` user (Debian's package creates it).
 */

const run = promisify(execFile);
export const PG_BIN = process.env.FACEGATE_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface TestPostgres {
  url: string;
  stop(): Promise<void>;
}

/** Why a cluster cannot be started here, or undefined when it can. */
export function postgresUnavailable(): string | undefined {
  if (!fs.existsSync(path.join(PG_BIN, 'initdb'))) return `PostgreSQL server binaries not found in ${PG_BIN} (apt-get install postgresql)`;
  if (process.getuid?.() === 0 && postgresUser() === undefined) return 'running as root and there is no postgres user to own the cluster';
  return undefined;
}

function postgresUser(): { uid: number; gid: number } | undefined {
  const entry = fs.readFileSync('/etc/passwd', 'utf8').split('\n').map((line) => line.split(':')).find((fields) => fields[0] === 'postgres');
  return entry === undefined ? undefined : { uid: Number(entry[2]), gid: Number(entry[3]) };
}

export async function startPostgres(options: { fsync?: boolean } = {}): Promise<TestPostgres> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facegate-pg-'));
  const owner = process.getuid?.() === 0 ? postgresUser() : undefined;
  if (owner !== undefined) fs.chownSync(dir, owner.uid, owner.gid);
  const as = async (tool: string, args: string[]) => {
    const command = owner === undefined ? [path.join(PG_BIN, tool), ...args] : ['runuser', '-u', 'postgres', '--', path.join(PG_BIN, tool), ...args];
    try {
      await run(command[0]!, command.slice(1), { timeout: 60_000 });
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr ?? '';
      throw new Error(`${tool} failed: ${stderr.trim() || String(error)}`);
    }
  };

  const data = path.join(dir, 'data');
  const port = await freePort();
  await as('initdb', ['-D', data, '-A', 'trust', '-U', 'fleet', '-E', 'UTF8', '--locale=C', '--no-sync']);
  const settings = [`-p ${port}`, `-k ${dir}`, "-c listen_addresses=127.0.0.1", `-c fsync=${options.fsync === true ? 'on' : 'off'}`, '-c max_connections=50'];
  await as('pg_ctl', ['-D', data, '-o', settings.join(' '), '-w', '-t', '30', '-l', path.join(dir, 'server.log'), 'start']);
  try {
    await as('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', 'fleet', 'fleet']);
  } catch (error) {
    await as('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']).catch(() => undefined);
    throw error;
  }
  return {
    url: `postgres://fleet@127.0.0.1:${port}/fleet`,
    async stop() {
      await as('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']).catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
