import fs from 'node:fs';

/**
 * Summary of a V8 CPU profile of the fleet monitor by the work each sample belongs to. The profile
 * comes from `Profiler.stop` of node:inspector, in the format `node --cpu-prof` writes. A sample goes
 * to the first category matched on its stack, read from the innermost frame outwards, so zod called
 * by the opener counts as schema validation. Samples are taken on the main thread by wall clock, so
 * a share is of the time that thread was busy, not of the process's CPU time. JSON.parse and
 * JSON.stringify have no frame of their own in V8 profiles, so their time counts with the caller.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileShare {
  category: string;
  /** Share of the non-idle samples, in percent. */
  percent: number;
  ms: number;
}

/** Rules in match order. Each tests one frame's function name and script URL. */
const CATEGORIES: Array<[string, (name: string, url: string) => boolean]> = [
  ['garbage collection', (name) => name === '(garbage collector)'],
  ['open: Ed25519 verify', (name, url) => url.endsWith('envelope-open-jws.ts') && name === 'verifyCompactJws'],
  ['open: ECDH, KDF, AES unwrap and GCM', (_, url) => url.endsWith('envelope-open-jwe.ts') || url.endsWith('envelope-open-crypto.ts')],
  ['open: jose and WebCrypto', (_, url) => url.includes('/node_modules/jose/') || url.startsWith('node:internal/crypto/webcrypto')],
  ['schema validation (zod)', (_, url) => url.includes('/node_modules/zod/')],
  ['open: other steps', (_, url) => /\/protocol\/envelope[^/]*\.ts$/.test(url)],
  ['store: SQLite', (_, url) => url.includes('/node_modules/better-sqlite3/') || url.endsWith('/fleet/db/sqlite.ts')],
  ['store: PostgreSQL client', (_, url) => url.includes('/node_modules/pg') || url.endsWith('/fleet/db/postgres.ts')],
  ['store: batch building and chains', (_, url) => /\/fleet\/(store|ingest|chain|alerts)\.ts$/.test(url) || url.endsWith('/fleet/db/sql.ts')],
  ['MQTT client and packets', (_, url) => url.includes('/node_modules/mqtt') || url.includes('/node_modules/bl/') || url.endsWith('/fleet/receiver.ts')],
  ['TLS and sockets', (_, url) => /^node:(internal\/)?(tls|_tls_wrap|net|stream|internal\/streams|internal\/stream_base_commons)/.test(url) || url === 'node:tls'],
  ['dashboard and presence', (_, url) => /\/fleet\/(http|presence)/.test(url)],
];

/** Summarise one profile into categories by descending share, with idle time left out. */
export function summariseCpuProfile(file: string): ProfileShare[] {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);

  const categoryOfNode = new Map<number, string>();
  const categoryOf = (id: number): string => {
    const known = categoryOfNode.get(id);
    if (known !== undefined) return known;
    let category = 'other JavaScript and native';
    for (let current: number | undefined = id; current !== undefined; current = parents.get(current)) {
      const { functionName, url } = nodes.get(current)!.callFrame;
      const match = CATEGORIES.find(([, test]) => test(functionName, url));
      if (match !== undefined) {
        category = match[0];
        break;
      }
    }
    categoryOfNode.set(id, category);
    return category;
  };

  const microseconds = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, index) => {
    if (nodes.get(id)!.callFrame.functionName === '(idle)') return;
    const delta = profile.timeDeltas[index] ?? 0;
    const category = categoryOf(id);
    microseconds.set(category, (microseconds.get(category) ?? 0) + delta);
    busy += delta;
  });

  return [...microseconds]
    .map(([category, us]) => ({ category, percent: Math.round((1000 * us) / busy) / 10, ms: Math.round(us / 1000) }))
    .sort((a, b) => b.ms - a.ms);
}
