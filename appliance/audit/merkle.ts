import { createHash } from 'node:crypto';

/**
 * Merkle tree hashing of RFC 6962 section 2.1 (also RFC 9162 section 2.1): leaves hashed as
 * SHA-256(0x00 || data), interior nodes as SHA-256(0x01 || left || right), the empty tree as
 * SHA-256(""), and a tree of n leaves split at the largest power of two below n. The audit log
 * uses each entry's 32-byte chain hash as the leaf data.
 */

export type Hash = Buffer;

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

export function leafHash(data: Uint8Array): Hash {
  return createHash('sha256').update(LEAF_PREFIX).update(data).digest();
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Hash {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

export const EMPTY_ROOT: Hash = createHash('sha256').digest();

/** Largest power of two strictly below `n` (n >= 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Tree head over already hashed leaves, by the recursive definition. */
export function rootOf(leaves: readonly Hash[]): Hash {
  if (leaves.length === 0) return EMPTY_ROOT;
  if (leaves.length === 1) return leaves[0]!;
  const k = splitPoint(leaves.length);
  return nodeHash(rootOf(leaves.slice(0, k)), rootOf(leaves.slice(k)));
}

/**
 * The right edge of a growing tree: the roots of its perfect subtrees from left to right, one
 * per set bit of the size. Appending a leaf and computing the root both take O(log n) hashes, so
 * the device and the fleet never rehash the whole log.
 */
export class MerkleFrontier {
  private constructor(
    private count: number,
    private readonly nodes: Hash[],
  ) {}

  static empty(): MerkleFrontier {
    return new MerkleFrontier(0, []);
  }

  /** Rebuild from `toJSON()` output; throws when the node count does not fit the size. */
  static fromJSON(value: { size: number; nodes: string[] }): MerkleFrontier {
    const expected = popCount(value.size);
    if (!Number.isSafeInteger(value.size) || value.size < 0 || value.nodes.length !== expected) {
      throw new RangeError(`A Merkle frontier of size ${value.size} has ${expected} nodes, not ${value.nodes.length}.`);
    }
    return new MerkleFrontier(value.size, value.nodes.map((node) => Buffer.from(node, 'hex')));
  }

  /** Frontier after the given leaf hashes. */
  static of(leaves: Iterable<Hash>): MerkleFrontier {
    const frontier = MerkleFrontier.empty();
    for (const leaf of leaves) frontier.appendLeafHash(leaf);
    return frontier;
  }

  get size(): number {
    return this.count;
  }

  /** Add a leaf whose RFC 6962 leaf hash is already computed. */
  appendLeafHash(leaf: Hash): void {
    let node = leaf;
    for (let remaining = this.count; (remaining & 1) === 1; remaining = Math.floor(remaining / 2)) {
      node = nodeHash(this.nodes.pop()!, node);
    }
    this.nodes.push(node);
    this.count += 1;
  }

  /** Add a leaf from its data (for the audit log, the entry's chain hash). */
  append(data: Uint8Array): void {
    this.appendLeafHash(leafHash(data));
  }

  root(): Hash {
    if (this.nodes.length === 0) return EMPTY_ROOT;
    let root = this.nodes[this.nodes.length - 1]!;
    for (let i = this.nodes.length - 2; i >= 0; i--) root = nodeHash(this.nodes[i]!, root);
    return root;
  }

  clone(): MerkleFrontier {
    return new MerkleFrontier(this.count, [...this.nodes]);
  }

  toJSON(): { size: number; nodes: string[] } {
    return { size: this.count, nodes: this.nodes.map((node) => node.toString('hex')) };
  }
}

function popCount(n: number): number {
  let bits = 0;
  for (let rest = n; rest > 0; rest = Math.floor(rest / 2)) bits += rest % 2;
  return bits;
}

/** Audit path for leaf `index` in the tree over `leaves` (RFC 6962 section 2.1.1). */
export function inclusionProof(leaves: readonly Hash[], index: number): Hash[] {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length) {
    throw new RangeError(`Leaf index ${index} is outside a tree of ${leaves.length} leaves.`);
  }
  if (leaves.length === 1) return [];
  const k = splitPoint(leaves.length);
  return index < k
    ? [...inclusionProof(leaves.slice(0, k), index), rootOf(leaves.slice(k))]
    : [...inclusionProof(leaves.slice(k), index - k), rootOf(leaves.slice(0, k))];
}

/** Check an audit path (RFC 9162 section 2.1.3.2). */
export function verifyInclusion(leaf: Hash, index: number, size: number, proof: readonly Hash[], root: Hash): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.equals(root);
}

/** Proof that the tree of the first `size` leaves is a prefix of the tree over all `leaves` (RFC 6962 section 2.1.2). */
export function consistencyProof(leaves: readonly Hash[], size: number): Hash[] {
  if (!Number.isInteger(size) || size < 1 || size > leaves.length) {
    throw new RangeError(`A consistency proof needs 1 <= old size <= ${leaves.length}, got ${size}.`);
  }
  return subproof(size, leaves, true);
}

function subproof(m: number, leaves: readonly Hash[], complete: boolean): Hash[] {
  const n = leaves.length;
  if (m === n) return complete ? [] : [rootOf(leaves)];
  const k = splitPoint(n);
  return m <= k
    ? [...subproof(m, leaves.slice(0, k), complete), rootOf(leaves.slice(k))]
    : [...subproof(m - k, leaves.slice(k), false), rootOf(leaves.slice(0, k))];
}

/** Check a consistency proof between two tree heads (RFC 9162 section 2.1.4.2). */
export function verifyConsistency(oldSize: number, newSize: number, oldRoot: Hash, newRoot: Hash, proof: readonly Hash[]): boolean {
  if (!Number.isSafeInteger(oldSize) || !Number.isSafeInteger(newSize) || oldSize < 1 || oldSize > newSize) return false;
  if (oldSize === newSize) return proof.length === 0 && oldRoot.equals(newRoot);
  if (proof.length === 0) return false;

  const path = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : [...proof];
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && fr.equals(oldRoot) && sr.equals(newRoot);
}

function isPowerOfTwo(n: number): boolean {
  let rest = n;
  while (rest > 1 && rest % 2 === 0) rest /= 2;
  return rest === 1;
}
