import { createPrivateKey, createPublicKey, diffieHellman, hash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { concatKdf, concatKdfOtherInfo, decodeBase64url, unwrapAesKey } from './envelope-open-crypto.js';

describe('concatKdf', () => {
  // RFC 7518 Appendix C, "Example ECDH-ES Key Agreement Computation": Alice's ephemeral P-256 key,
  // Bob's static key, enc A128GCM, apu "Alice", apv "Bob".
  const alicePublic = { kty: 'EC', crv: 'P-256', x: 'gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0', y: 'SLW_xSffzlPWrHEVI30DHM_4egVwt3NQqeUD7nMFpps' };
  const bobPrivate = {
    kty: 'EC',
    crv: 'P-256',
    x: 'weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ',
    y: 'e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck',
    d: 'VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw',
  };
  const z = Uint8Array.from([
    158, 86, 217, 29, 129, 113, 53, 211, 114, 131, 66, 131, 191, 132, 38, 156, 251, 49, 110, 163, 218, 128, 106, 72, 246, 218, 167, 121,
    140, 254, 144, 196,
  ]);

  it('agrees on Z of RFC 7518 Appendix C', () => {
    const sharedSecret = diffieHellman({
      privateKey: createPrivateKey({ key: bobPrivate, format: 'jwk' }),
      publicKey: createPublicKey({ key: alicePublic, format: 'jwk' }),
    });
    expect([...sharedSecret]).toEqual([...z]);
  });

  it('builds OtherInfo of RFC 7518 Appendix C', () => {
    const otherInfo = concatKdfOtherInfo('A128GCM', Buffer.from('Alice'), Buffer.from('Bob'), 128);
    expect([...otherInfo]).toEqual([
      ...[0, 0, 0, 7, 65, 49, 50, 56, 71, 67, 77],
      ...[0, 0, 0, 5, 65, 108, 105, 99, 101],
      ...[0, 0, 0, 3, 66, 111, 98],
      ...[0, 0, 0, 128],
    ]);
  });

  it('derives the key of RFC 7518 Appendix C', () => {
    const key = concatKdf(z, concatKdfOtherInfo('A128GCM', Buffer.from('Alice'), Buffer.from('Bob'), 128), 128);
    expect([...key]).toEqual([86, 170, 141, 234, 248, 35, 109, 32, 92, 34, 40, 205, 113, 167, 16, 26]);
    expect(key.toString('base64url')).toBe('VqqN6vgjbSBcIijNcacQGg');
  });

  it('hashes a second round for keys over 256 bits', () => {
    const otherInfo = concatKdfOtherInfo('ECDH-ES', new Uint8Array(0), new Uint8Array(0), 384);
    const key = concatKdf(z, otherInfo, 384);
    const round = (counter: number): Buffer => hash('sha256', Buffer.concat([Buffer.from([0, 0, 0, counter]), z, otherInfo]), 'buffer');
    expect(key).toHaveLength(48);
    expect(key.subarray(0, 32).equals(round(1))).toBe(true);
    expect(key.subarray(32).equals(round(2).subarray(0, 16))).toBe(true);
  });

  it('rejects a key length that is not whole bytes', () => {
    expect(() => concatKdf(z, new Uint8Array(0), 100)).toThrow('positive multiple of 8 bits, got 100');
  });
});

describe('unwrapAesKey', () => {
  // RFC 3394 §4.6, "Wrap 256 bits of Key Data with a 256-bit KEK".
  const kek = Buffer.from('000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F', 'hex');
  const keyData = Buffer.from('00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F', 'hex');
  const wrapped = Buffer.from('28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21', 'hex');

  it('unwraps the RFC 3394 §4.6 vector', () => {
    expect(unwrapAesKey(kek, wrapped)?.toString('hex')).toBe(keyData.toString('hex'));
  });

  it('fails the integrity check on any changed byte', () => {
    for (let index = 0; index < wrapped.length; index++) {
      const altered = Buffer.from(wrapped);
      altered[index]! ^= 0x80;
      expect(unwrapAesKey(kek, altered), `byte ${index}`).toBeUndefined();
    }
  });

  it('fails the integrity check under another key', () => {
    const otherKek = Buffer.from(kek);
    otherKek[31]! ^= 0x01;
    expect(unwrapAesKey(otherKek, wrapped)).toBeUndefined();
  });

  it('rejects lengths that are not 64-bit blocks', () => {
    expect(unwrapAesKey(kek, wrapped.subarray(0, 39))).toBeUndefined();
    expect(unwrapAesKey(kek, wrapped.subarray(0, 16))).toBeUndefined();
    expect(unwrapAesKey(kek, Buffer.alloc(0))).toBeUndefined();
  });

  it('rejects a key-encryption key of another size', () => {
    expect(() => unwrapAesKey(kek.subarray(0, 20), wrapped)).toThrow('16, 24 or 32 bytes, got 20');
  });
});

describe('decodeBase64url', () => {
  it('decodes unpadded base64url', () => {
    expect(decodeBase64url('')?.length).toBe(0);
    expect(decodeBase64url('_-8')?.toString('hex')).toBe('ffef');
    expect(decodeBase64url('QWxpY2U')?.toString()).toBe('Alice');
  });

  it.each(['QWxpY2U=', 'QW+p', 'QW/p', 'QW p', 'QWxp\n', 'QWxpY', 'QWxpé'])('rejects %j', (text) => {
    expect(decodeBase64url(text)).toBeUndefined();
  });
});
