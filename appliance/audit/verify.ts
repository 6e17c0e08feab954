import type { KeyObject } from 'node:crypto';
import { assertSigningKey } from '../../protocol/keys.js';
import { checkpointSchema, verifyCheckpoint, type Checkpoint } from './checkpoint.js';
import { GENESIS_HASH, auditEntry, entryHash } from './entry.js';
import { MerkleFrontier } from './merkle.js';

/**
 * Verification of an audit log as stored or exported. Entries are walked in the order given
 * (storage order for a database, line order for an export), so an edited, removed, inserted or
 * reordered entry is found and named by its sequence number:
 *
 * - edited: the entry's fields no longer hash to its stored `hash`;
 * - rewritten: an entry whose hash was recomputed after an edit no longer matches the `prevHash`
 *   its successor committed to (reported at the rewritten entry);
 * - missing: a sequence number is skipped, or a checkpoint covers more entries than remain;
 * - duplicate or out of order: a sequence number comes again or after a later one;
 * - a checkpoint whose Merkle root differs from the entries' catches a chain rebuilt from an
 *   edited entry onwards, and one whose signature fails catches a forged checkpoint.
 */

export type ProblemKind =
  | 'invalid'
  | 'edited'
  | 'rewritten'
  | 'missing'
  | 'duplicate'
  | 'out-of-order'
  | 'checkpoint-invalid'
  | 'checkpoint-mismatch'
  | 'checkpoint-signature'
  | 'checkpoint-missing';

export interface ChainProblem {
  kind: ProblemKind;
  /** First sequence number the problem concerns; absent for a problem of a checkpoint alone. */
  seq?: number;
  message: string;
}

export interface ChainAnchor {
  /** Sequence number just before the first entry given. */
  seq: number;
  /** Hash of that entry, which the first entry's `prevHash` must equal. */
  hash: string;
  /** Merkle frontier after that entry, so checkpoints inside a partial export can be checked. */
  frontier?: { size: number; nodes: string[] };
}

export interface VerifyOptions {
  /** Device public key, which must be Ed25519 or KEY_WRONG_TYPE is raised. Without it checkpoint signatures are not checked. */
  publicKey?: KeyObject;
  /** Chain state before the first entry of a partial export; the start of the chain by default. */
  anchor?: ChainAnchor;
}

export interface VerifyResult {
  ok: boolean;
  entries: number;
  firstSeq: number | undefined;
  lastSeq: number | undefined;
  checkpoints: { total: number; verified: number; unchecked: number };
  signaturesChecked: boolean;
  /** Smallest sequence number any problem points at. */
  firstBadSeq: number | undefined;
  problems: ChainProblem[];
  /** Entries after the last verified checkpoint: chained, but not yet covered by a device signature. */
  uncheckpointed: number;
}

const MAX_PROBLEMS = 100;

export function verifyChain(entries: Iterable<Record<string, unknown>>, checkpoints: Iterable<Record<string, unknown>>, options: VerifyOptions = {}): VerifyResult {
  // A wrong key must fail here even when the log has no checkpoint yet to try it on.
  if (options.publicKey !== undefined) assertSigningKey(options.publicKey, 'public', 'audit checkpoint verification key');
  const problems: ChainProblem[] = [];
  let problemCount = 0;
  // A checkpoint mismatch only bounds where the bad entry is, so an exact finding takes precedence.
  let exactFirst: number | undefined;
  let boundFirst: number | undefined;
  const report = (problem: ChainProblem): void => {
    problemCount += 1;
    if (problems.length < MAX_PROBLEMS) problems.push(problem);
    if (problem.seq === undefined) return;
    if (problem.kind === 'checkpoint-mismatch') boundFirst = Math.min(boundFirst ?? problem.seq, problem.seq);
    else exactFirst = Math.min(exactFirst ?? problem.seq, problem.seq);
  };

  const parsedCheckpoints = parseCheckpoints(checkpoints, report);
  const wantedSizes = new Set(parsedCheckpoints.map((checkpoint) => checkpoint.size));
  const roots = new Map<number, string>();

  const anchor = options.anchor ?? { seq: 0, hash: GENESIS_HASH, frontier: { size: 0, nodes: [] } };
  let frontier: MerkleFrontier | undefined = anchor.frontier === undefined ? undefined : MerkleFrontier.fromJSON(anchor.frontier);
  if (frontier !== undefined && frontier.size !== anchor.seq) frontier = undefined;
  if (frontier !== undefined && wantedSizes.has(frontier.size)) roots.set(frontier.size, frontier.root().toString('hex'));

  let previous = { seq: anchor.seq, hash: anchor.hash };
  const seen = new Set<number>();
  let count = 0;
  let firstSeq: number | undefined;

  for (const raw of entries) {
    count += 1;
    const seq = raw.seq;
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) {
      report({ kind: 'invalid', seq: previous.seq + 1, message: `entry ${count} has no valid sequence number (${JSON.stringify(seq)}); it follows seq ${previous.seq}` });
      frontier = undefined;
      continue;
    }
    firstSeq ??= seq;

    let recomputed: string | undefined;
    try {
      recomputed = entryHash(raw as never);
    } catch (error) {
      report({ kind: 'invalid', seq, message: `entry ${seq} cannot be hashed: ${(error as Error).message}` });
    }
    const schema = auditEntry.safeParse(raw);
    if (!schema.success) {
      const issue = schema.error.issues[0]!;
      report({ kind: 'invalid', seq, message: `entry ${seq} has an invalid ${issue.path.join('.') || 'value'}: ${issue.message}` });
    }
    if (recomputed !== undefined && recomputed !== raw.hash) {
      report({ kind: 'edited', seq, message: `entry ${seq} was edited: its fields hash to ${recomputed.slice(0, 16)}…, not to its stored hash ${String(raw.hash).slice(0, 16)}…` });
    }

    if (seq === previous.seq + 1) {
      if (raw.prevHash !== previous.hash) {
        const rewritten = previous.seq >= 1 ? previous.seq : seq;
        report({
          kind: 'rewritten',
          seq: rewritten,
          message:
            previous.seq >= 1
              ? `entry ${seq} does not link to entry ${previous.seq}: entry ${previous.seq} was rewritten or replaced after entry ${seq} was written`
              : `entry ${seq} does not start from the expected chain head ${previous.hash.slice(0, 16)}…`,
        });
      }
      if (frontier !== undefined && recomputed !== undefined) {
        frontier.append(Buffer.from(recomputed, 'hex'));
        if (wantedSizes.has(frontier.size)) roots.set(frontier.size, frontier.root().toString('hex'));
      } else {
        frontier = undefined;
      }
    } else if (seq > previous.seq + 1) {
      const last = seq - 1;
      report({
        kind: 'missing',
        seq: previous.seq + 1,
        message: last === previous.seq + 1 ? `entry ${last} is missing` : `entries ${previous.seq + 1} to ${last} are missing`,
      });
      frontier = undefined;
    } else if (seen.has(seq)) {
      report({ kind: 'duplicate', seq, message: `entry ${seq} appears again after entry ${previous.seq}` });
    } else {
      report({ kind: 'out-of-order', seq, message: `entry ${seq} comes after entry ${previous.seq}: the entries were reordered` });
    }

    seen.add(seq);
    if (seq > previous.seq) previous = { seq, hash: String(raw.hash) };
  }

  const lastSeq = count === 0 ? undefined : previous.seq;
  let verified = 0;
  let unchecked = 0;
  let coveredSize = anchor.seq;
  let lastGood: Checkpoint | undefined;
  for (const checkpoint of parsedCheckpoints) {
    if (options.publicKey !== undefined) {
      const check = verifyCheckpoint(checkpoint, options.publicKey);
      if (!check.ok) {
        report({ kind: 'checkpoint-signature', message: `checkpoint ${checkpoint.number} (size ${checkpoint.size}) is not validly signed by the device: ${check.message}` });
        continue;
      }
    }
    if (checkpoint.size > previous.seq) {
      report({
        kind: 'missing',
        seq: previous.seq + 1,
        message: `checkpoint ${checkpoint.number} covers ${checkpoint.size} entries, but the log ends at entry ${previous.seq}: entries ${previous.seq + 1} to ${checkpoint.size} were removed`,
      });
      continue;
    }
    const root = roots.get(checkpoint.size);
    if (root === undefined) {
      unchecked += 1;
      continue;
    }
    if (root !== checkpoint.rootHash) {
      const from = (lastGood?.size ?? anchor.seq) + 1;
      report({
        kind: 'checkpoint-mismatch',
        seq: from,
        message: `checkpoint ${checkpoint.number} signed a different log: an entry from ${from} to ${checkpoint.size} differs from what the device signed`,
      });
      continue;
    }
    verified += 1;
    lastGood = checkpoint;
    coveredSize = Math.max(coveredSize, checkpoint.size);
  }

  if (problemCount > problems.length) {
    problems.push({ kind: problems.at(-1)!.kind, message: `and ${problemCount - problems.length} more problems` });
  }
  return {
    ok: problemCount === 0,
    entries: count,
    firstSeq,
    lastSeq,
    checkpoints: { total: parsedCheckpoints.length, verified, unchecked },
    signaturesChecked: options.publicKey !== undefined,
    firstBadSeq: exactFirst ?? boundFirst,
    problems,
    uncheckpointed: lastSeq === undefined ? 0 : Math.max(0, lastSeq - coveredSize),
  };
}

function parseCheckpoints(checkpoints: Iterable<Record<string, unknown>>, report: (problem: ChainProblem) => void): Checkpoint[] {
  const parsed: Checkpoint[] = [];
  for (const raw of checkpoints) {
    const result = checkpointSchema.safeParse(raw);
    if (result.success) parsed.push(result.data);
    else report({ kind: 'checkpoint-invalid', message: `checkpoint ${JSON.stringify(raw.number)} is invalid: ${result.error.issues[0]!.message}` });
  }
  parsed.sort((a, b) => a.number - b.number);
  for (let i = 1; i < parsed.length; i++) {
    const gap = parsed[i]!.number - parsed[i - 1]!.number;
    if (gap > 1) report({ kind: 'checkpoint-missing', message: `checkpoints ${parsed[i - 1]!.number + 1} to ${parsed[i]!.number - 1} are missing` });
  }
  return parsed;
}
