import { GENESIS_HASH, auditEntry, entryHash } from '../appliance/audit/entry.js';
import { MerkleFrontier } from '../appliance/audit/merkle.js';
import type { Dialect, SqlExecutor, SqlValue } from './db/sql.js';

/**
 * Verification of each device's audit chain on the fleet side. Entries may arrive in any order
 * and at any of several fleet instances, so the chain is checked from the database: each call
 * extends the verified prefix of one device as far as stored entries allow, inside the caller's
 * transaction and under a row lock on the device's `chain_state` (SQLite serialises writers
 * anyway). Each verified entry gets the Merkle root of the tree up to it, so a checkpoint is
 * checked by one lookup however late it arrives.
 */

export interface ChainAdvance {
  deviceId: string;
  verifiedSeq: number;
  /** Entries verified by this call. */
  newlyVerified: number;
  /** Set when this call found the chain broken at that entry. */
  broken?: { seq: number; reason: string };
  /** The first missing sequence number while later entries or checkpoints are waiting, and since when. */
  gap?: { seq: number; since: number };
  gapClosed: boolean;
  checkpointsVerified: Array<{ number: number; size: number }>;
  checkpointsMismatched: Array<{ number: number; size: number; rootHash: string; computed: string }>;
}

interface StateRow {
  verified_seq: number;
  verified_hash: string;
  frontier: string;
  broken_seq: number | null;
  gap_since: number | null;
}

const PAGE = 2000;

export async function advanceChain(tx: SqlExecutor, dialect: Dialect, deviceId: string, now: number): Promise<ChainAdvance> {
  await tx.run(
    `INSERT INTO chain_state (device_id, verified_seq, verified_hash, frontier, updated_at) VALUES (?, 0, ?, ?, ?) ON CONFLICT (device_id) DO NOTHING`,
    [deviceId, GENESIS_HASH, JSON.stringify(MerkleFrontier.empty().toJSON()), now],
  );
  const [state] = await tx.query<StateRow>(
    `SELECT verified_seq, verified_hash, frontier, broken_seq, gap_since FROM chain_state WHERE device_id = ?${dialect === 'postgres' ? ' FOR UPDATE' : ''}`,
    [deviceId],
  );
  const result: ChainAdvance = { deviceId, verifiedSeq: state!.verified_seq, newlyVerified: 0, gapClosed: false, checkpointsVerified: [], checkpointsMismatched: [] };
  let verifiedSeq = state!.verified_seq;
  let verifiedHash = state!.verified_hash;
  const frontier = MerkleFrontier.fromJSON(JSON.parse(state!.frontier) as { size: number; nodes: string[] });
  let broken: { seq: number; reason: string } | undefined;
  let waiting = false;

  while (state!.broken_seq === null && broken === undefined) {
    const rows = await tx.query<{ seq: number; hash: string; prev_hash: string; payload: string }>(
      'SELECT seq, hash, prev_hash, payload FROM audit_entries WHERE device_id = ? AND seq > ? ORDER BY seq LIMIT ?',
      [deviceId, verifiedSeq, PAGE],
    );
    if (rows.length === 0) break;
    const roots: Array<[number, string]> = [];
    for (const row of rows) {
      if (row.seq !== verifiedSeq + 1) {
        waiting = true;
        break;
      }
      const problem = entryProblem(row, verifiedHash);
      if (problem !== undefined) {
        broken = { seq: row.seq, reason: problem };
        break;
      }
      frontier.append(Buffer.from(row.hash, 'hex'));
      roots.push([row.seq, frontier.root().toString('hex')]);
      verifiedSeq = row.seq;
      verifiedHash = row.hash;
    }
    await saveRoots(tx, dialect, deviceId, roots);
    result.newlyVerified += roots.length;
    if (waiting || rows.length < PAGE) break;
  }

  // Checkpoints waiting for entries that have not arrived also mean a gap.
  const [ahead] = await tx.query<{ n: number }>("SELECT COUNT(*) AS n FROM audit_checkpoints WHERE device_id = ? AND status = 'pending' AND size > ?", [deviceId, verifiedSeq]);
  if (Number(ahead?.n ?? 0) > 0) waiting = true;
  const blocked = broken !== undefined || state!.broken_seq !== null;
  const gapSince = waiting && !blocked ? (state!.gap_since ?? now) : null;
  if (gapSince !== null) result.gap = { seq: verifiedSeq + 1, since: gapSince };
  result.gapClosed = state!.gap_since !== null && gapSince === null;

  await checkCheckpoints(tx, deviceId, verifiedSeq, result);
  await tx.run(
    `UPDATE chain_state SET verified_seq = ?, verified_hash = ?, frontier = ?, broken_seq = COALESCE(broken_seq, ?), broken_reason = COALESCE(broken_reason, ?),
       gap_since = ?, updated_at = ? WHERE device_id = ?`,
    [verifiedSeq, verifiedHash, JSON.stringify(frontier.toJSON()), broken?.seq ?? null, broken?.reason ?? null, gapSince, now, deviceId],
  );
  result.verifiedSeq = verifiedSeq;
  if (broken !== undefined) result.broken = broken;
  return result;
}

/** Why a stored entry cannot extend the chain after `previousHash`, or undefined when it can. */
function entryProblem(row: { seq: number; hash: string; prev_hash: string; payload: string }, previousHash: string): string | undefined {
  let entry: unknown;
  try {
    entry = JSON.parse(row.payload);
  } catch {
    return 'stored payload is not JSON';
  }
  const parsed = auditEntry.safeParse(entry);
  if (!parsed.success) return `entry fails the schema: ${parsed.error.issues[0]!.message}`;
  if (entryHash(parsed.data) !== row.hash) return 'entry was edited: its fields do not hash to its hash';
  if (row.prev_hash !== previousHash) return `entry does not link to entry ${row.seq - 1}: the chain was rewritten or forked`;
  return undefined;
}

async function saveRoots(tx: SqlExecutor, dialect: Dialect, deviceId: string, roots: Array<[number, string]>): Promise<void> {
  if (roots.length === 0) return;
  if (dialect === 'sqlite') {
    for (const [seq, root] of roots) await tx.run('UPDATE audit_entries SET tree_root = ? WHERE device_id = ? AND seq = ?', [root, deviceId, seq]);
    return;
  }
  for (let start = 0; start < roots.length; start += 1000) {
    const chunk = roots.slice(start, start + 1000);
    const params: SqlValue[] = [deviceId];
    const values = chunk.map(([seq, root]) => {
      params.push(seq, root);
      return '(CAST(? AS BIGINT), CAST(? AS TEXT))';
    });
    await tx.run(`UPDATE audit_entries AS a SET tree_root = v.root FROM (VALUES ${values.join(', ')}) AS v(seq, root) WHERE a.device_id = ? AND a.seq = v.seq`, [
      ...params.slice(1),
      deviceId,
    ]);
  }
}

async function checkCheckpoints(tx: SqlExecutor, deviceId: string, verifiedSeq: number, result: ChainAdvance): Promise<void> {
  const pending = await tx.query<{ size: number; root_hash: string; number: number }>(
    "SELECT size, root_hash, number FROM audit_checkpoints WHERE device_id = ? AND status = 'pending' AND size <= ? ORDER BY size",
    [deviceId, verifiedSeq],
  );
  for (const checkpoint of pending) {
    const [row] = await tx.query<{ tree_root: string | null }>('SELECT tree_root FROM audit_entries WHERE device_id = ? AND seq = ?', [deviceId, checkpoint.size]);
    const computed = row?.tree_root ?? null;
    if (computed === null) continue;
    const status = computed === checkpoint.root_hash ? 'verified' : 'mismatch';
    await tx.run('UPDATE audit_checkpoints SET status = ? WHERE device_id = ? AND size = ? AND root_hash = ?', [status, deviceId, checkpoint.size, checkpoint.root_hash]);
    if (status === 'verified') result.checkpointsVerified.push({ number: checkpoint.number, size: checkpoint.size });
    else result.checkpointsMismatched.push({ number: checkpoint.number, size: checkpoint.size, rootHash: checkpoint.root_hash, computed });
  }
}
