import { describe, expect, it } from 'vitest';
import { EMPTY_ROOT, MerkleFrontier, consistencyProof, inclusionProof, leafHash, rootOf, verifyConsistency, verifyInclusion } from './merkle.js';

// Reference inputs and tree heads published with the Certificate Transparency implementation of RFC 6962.
const CT_LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map((hex) => leafHash(Buffer.from(hex, 'hex')));
const CT_ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

const many = Array.from({ length: 41 }, (_, i) => leafHash(Buffer.from([i, i * 3, 7])));

describe('merkle tree head', () => {
  it('matches the RFC 6962 reference roots', () => {
    expect(EMPTY_ROOT.toString('hex')).toBe(CT_ROOTS[0]);
    for (let n = 0; n <= 8; n++) expect(rootOf(CT_LEAVES.slice(0, n)).toString('hex'), `size ${n}`).toBe(CT_ROOTS[n]);
  });

  it('frontier root equals the recursive root at every size', () => {
    const frontier = MerkleFrontier.empty();
    for (let n = 1; n <= many.length; n++) {
      frontier.appendLeafHash(many[n - 1]!);
      expect(frontier.root().equals(rootOf(many.slice(0, n))), `size ${n}`).toBe(true);
    }
  });

  it('frontier survives a JSON round trip', () => {
    const frontier = MerkleFrontier.of(many.slice(0, 13));
    const copy = MerkleFrontier.fromJSON(JSON.parse(JSON.stringify(frontier.toJSON())) as { size: number; nodes: string[] });
    copy.appendLeafHash(many[13]!);
    expect(copy.root().equals(rootOf(many.slice(0, 14)))).toBe(true);
  });

  it('frontier rejects a node count that does not fit the size', () => {
    expect(() => MerkleFrontier.fromJSON({ size: 3, nodes: ['00'] })).toThrow(/size 3 has 2 nodes/);
  });
});

describe('merkle proofs', () => {
  it('inclusion proofs match the reference path for leaf 0 of 8', () => {
    expect(inclusionProof(CT_LEAVES, 0).map((hash) => hash.toString('hex'))).toEqual([
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ]);
  });

  it('every inclusion proof verifies and a wrong leaf fails', () => {
    for (let size = 1; size <= 20; size++) {
      const leaves = many.slice(0, size);
      const root = rootOf(leaves);
      for (let index = 0; index < size; index++) {
        const proof = inclusionProof(leaves, index);
        expect(verifyInclusion(leaves[index]!, index, size, proof, root), `leaf ${index} of ${size}`).toBe(true);
        expect(verifyInclusion(many[40]!, index, size, proof, root)).toBe(false);
      }
    }
  });

  it('every consistency proof verifies and a forked tree fails', () => {
    for (let size = 2; size <= 20; size++) {
      const leaves = many.slice(0, size);
      const forked = [...leaves];
      forked[0] = many[40]!;
      for (let old = 1; old < size; old++) {
        const proof = consistencyProof(leaves, old);
        const oldRoot = rootOf(leaves.slice(0, old));
        expect(verifyConsistency(old, size, oldRoot, rootOf(leaves), proof), `${old} -> ${size}`).toBe(true);
        expect(verifyConsistency(old, size, rootOf(forked.slice(0, old)), rootOf(leaves), proof)).toBe(false);
      }
    }
  });
});
