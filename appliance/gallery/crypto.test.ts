import crypto from 'node:crypto';

import { describe, expect, it } from 'vitest';

import {
  decryptTemplate,
  deriveGalleryKeys,
  encryptTemplate,
  newSubjectKey,
  NONCE_BYTES,
  pseudonymOf,
  TAG_BYTES,
  unwrapSubjectKey,
  wrapSubjectKey,
} from './crypto.js';
import { randomUnitVector, seededRandom } from './random-vectors.js';

const binding = { subjectId: 'W-1001', templateId: 'tpl-1', modelVersion: 'arcface-r100@1' };

describe('template encryption', () => {
  it('round-trips an embedding exactly', () => {
    const key = newSubjectKey();
    const embedding = randomUnitVector(seededRandom(1), 512);

    const box = encryptTemplate(key, binding, embedding);

    expect(box.nonce.length).toBe(NONCE_BYTES);
    expect(box.tag.length).toBe(TAG_BYTES);
    expect(box.ciphertext.length).toBe(512 * 4);
    expect(decryptTemplate(key, binding, box)).toEqual(embedding);
  });

  it('uses a fresh nonce for every template', () => {
    const key = newSubjectKey();
    const embedding = randomUnitVector(seededRandom(2), 512);
    const nonces = new Set<string>();
    for (let i = 0; i < 100; i++) nonces.add(encryptTemplate(key, binding, embedding).nonce.toString('hex'));
    expect(nonces.size).toBe(100);
  });

  it.each([
    ['subject id', { ...binding, subjectId: 'W-1002' }],
    ['template id', { ...binding, templateId: 'tpl-2' }],
    ['model version', { ...binding, modelVersion: 'arcface-r100@2' }],
  ])('fails when the %s differs', (_field, other) => {
    const key = newSubjectKey();
    const box = encryptTemplate(key, binding, randomUnitVector(seededRandom(3), 512));
    expect(() => decryptTemplate(key, other, box)).toThrow();
  });

  it('keeps field boundaries in the bound data', () => {
    const key = newSubjectKey();
    const box = encryptTemplate(key, { subjectId: 'ab', templateId: 'c', modelVersion: 'm' }, randomUnitVector(seededRandom(4), 8));
    expect(() => decryptTemplate(key, { subjectId: 'a', templateId: 'bc', modelVersion: 'm' }, box)).toThrow();
  });

  it('fails under another subject key', () => {
    const box = encryptTemplate(newSubjectKey(), binding, randomUnitVector(seededRandom(5), 512));
    expect(() => decryptTemplate(newSubjectKey(), binding, box)).toThrow();
  });

  it('fails when a ciphertext bit flips', () => {
    const key = newSubjectKey();
    const box = encryptTemplate(key, binding, randomUnitVector(seededRandom(6), 512));
    box.ciphertext[100]! ^= 0x01;
    expect(() => decryptTemplate(key, binding, box)).toThrow();
  });
});

describe('subject key wrapping', () => {
  it('unwraps for the same subject only', () => {
    const { wrapKey } = deriveGalleryKeys(crypto.randomBytes(32));
    const subjectKey = newSubjectKey();

    const box = wrapSubjectKey(wrapKey, 'W-1001', subjectKey);

    expect(unwrapSubjectKey(wrapKey, 'W-1001', box).equals(subjectKey)).toBe(true);
    expect(() => unwrapSubjectKey(wrapKey, 'W-1002', box)).toThrow();
  });

  it('fails under another data key', () => {
    const box = wrapSubjectKey(deriveGalleryKeys(crypto.randomBytes(32)).wrapKey, 'W-1001', newSubjectKey());
    expect(() => unwrapSubjectKey(deriveGalleryKeys(crypto.randomBytes(32)).wrapKey, 'W-1001', box)).toThrow();
  });
});

describe('derived keys and pseudonyms', () => {
  it('derives distinct keys per purpose', () => {
    const keys = deriveGalleryKeys(crypto.randomBytes(32));
    const hex = [keys.wrapKey, keys.pseudonymKey, keys.checkKey].map((key) => key.toString('hex'));
    expect(new Set(hex).size).toBe(3);
  });

  it('gives stable 32-hex pseudonyms bound to the data key', () => {
    const dataKey = crypto.randomBytes(32);
    const { pseudonymKey } = deriveGalleryKeys(dataKey);
    const pseudonym = pseudonymOf(pseudonymKey, 'W-1001');

    expect(pseudonym).toMatch(/^[0-9a-f]{32}$/);
    expect(pseudonymOf(deriveGalleryKeys(Buffer.from(dataKey)).pseudonymKey, 'W-1001')).toBe(pseudonym);
    expect(pseudonymOf(pseudonymKey, 'W-1002')).not.toBe(pseudonym);
    expect(pseudonymOf(deriveGalleryKeys(crypto.randomBytes(32)).pseudonymKey, 'W-1001')).not.toBe(pseudonym);
    expect(pseudonym).not.toContain(Buffer.from('W-1001').toString('hex'));
  });
});
