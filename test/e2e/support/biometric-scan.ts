import type { KeyObject } from 'node:crypto';
import { compactDecrypt, compactVerify } from 'jose';
import type { PlaintextScanner } from '../../helpers/plaintext.js';

/**
 * A scanner for biometric content in MQTT payloads: face images, crops, landmarks and embeddings.
 * It walks parsed JSON and flags what could carry them, whatever the field is called:
 *
 * - arrays holding more than `maxNumbers` numbers, nested arrays included (an embedding, or
 *   landmarks as a list of points);
 * - strings that decode from base64, base64url or hex to bytes that contain an image signature
 *   (JPEG, PNG, WebP, GIF, PPM) anywhere, or a run of float32 or float64 values with the unit L2
 *   norm of a face embedding, or a known embedding;
 * - `data:image/` URLs;
 * - keys whose words name biometric data (embedding, template, landmarks, image, crop, face and
 *   the like) unless their value is a whole number, which counts templates or faces and carries none;
 * - strings longer than `maxStringLength`, unless the caller allows that path.
 *
 * Sealed payloads are decrypted and their JOSE headers and signatures checked before the payload
 * inside is walked, so nothing hides in the ciphertext.
 */

export interface Finding {
  /** Where in the message, e.g. `$.payload.entry.detail.note` or `$.jwe.header.epk`. */
  path: string;
  reason: string;
}

export interface ScanOptions {
  /** Maximum count of numbers in one array, 8 by default: five 2-D landmarks make 10. */
  maxNumbers?: number;
  /** Maximum string length for fields the caller does not vouch for, 128 characters by default. */
  maxStringLength?: number;
  /** Fields the caller vouches for, exempt from the key-name and length rules (never from decoding). */
  isKnownField?(path: string, value: unknown): boolean;
  /** Known embeddings (for example the gallery's templates) to look for in every decoded blob. */
  knownEmbeddings?: PlaintextScanner;
}

const BIOMETRIC_WORDS = new Set([
  'embedding', 'embeddings', 'template', 'templates', 'landmark', 'landmarks', 'keypoints', 'image', 'images', 'img',
  'crop', 'crops', 'face', 'faces', 'photo', 'photos', 'picture', 'frame', 'frames', 'jpeg', 'jpg', 'png', 'webp',
  'thumbnail', 'thumb', 'snapshot', 'pixels', 'descriptor', 'descriptors', 'vector', 'biometric', 'biometrics',
]);

const IMAGE_SIGNATURES: Array<{ format: string; bytes: Buffer }> = [
  { format: 'JPEG', bytes: Buffer.from([0xff, 0xd8, 0xff]) },
  { format: 'PNG', bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) },
  { format: 'WebP', bytes: Buffer.from('WEBPVP8', 'latin1') },
  { format: 'GIF', bytes: Buffer.from('GIF8', 'latin1') },
  { format: 'PPM', bytes: Buffer.from('P6\n', 'latin1') },
];

/** Run lengths searched for: the fr_feature model outputs 512 values, and the shorter sizes cover other common models. */
const EMBEDDING_LENGTHS = [64, 128, 256, 512];
const UNIT_NORM_TOLERANCE = 0.02;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const HEX = /^(?:[0-9a-fA-F]{2})+$/;
/** Strings shorter than this (12 bytes as base64) cannot hold an image or an embedding, so they are not decoded. */
const MIN_ENCODED_LENGTH = 16;

/** Split a key into lower-case words: `faceCrop`, `face_crop`, `face-crop` and `face.crop` give face and crop. */
function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word !== '')
    .map((word) => word.toLowerCase());
}

function countNumbers(value: unknown[]): number {
  let count = 0;
  for (const item of value) {
    if (typeof item === 'number') count += 1;
    else if (Array.isArray(item)) count += countNumbers(item);
  }
  return count;
}

/** Decode a string in every encoding it could be in (hex, base64 or base64url), or return an empty list for none. */
function decodeBlob(text: string): Array<{ encoding: string; bytes: Buffer }> {
  if (text.length < MIN_ENCODED_LENGTH) return [];
  const decoded: Array<{ encoding: string; bytes: Buffer }> = [];
  if (HEX.test(text)) decoded.push({ encoding: 'hex', bytes: Buffer.from(text, 'hex') });
  if (BASE64.test(text)) decoded.push({ encoding: 'base64', bytes: Buffer.from(text, 'base64') });
  else if (BASE64URL.test(text)) decoded.push({ encoding: 'base64url', bytes: Buffer.from(text, 'base64url') });
  return decoded;
}

/**
 * Return the first run of `length` float values (at any byte alignment, either byte order) whose
 * squares sum to 1 within the tolerance, with every value finite and below 1 in magnitude.
 */
function findUnitNormRun(bytes: Buffer, width: 4 | 8): { offset: number; length: number; order: string } | undefined {
  for (const littleEndian of [true, false]) {
    for (let alignment = 0; alignment < width; alignment++) {
      const count = Math.floor((bytes.length - alignment) / width);
      if (count < EMBEDDING_LENGTHS[0]!) continue;
      const squares = new Float64Array(count + 1);
      const usable = new Uint32Array(count + 1);
      for (let i = 0; i < count; i++) {
        const offset = alignment + i * width;
        let value: number;
        if (width === 4) value = littleEndian ? bytes.readFloatLE(offset) : bytes.readFloatBE(offset);
        else value = littleEndian ? bytes.readDoubleLE(offset) : bytes.readDoubleBE(offset);
        const ok = Number.isFinite(value) && Math.abs(value) < 1;
        squares[i + 1] = squares[i]! + (ok ? value * value : 0);
        usable[i + 1] = usable[i]! + (ok ? 1 : 0);
      }
      for (const length of EMBEDDING_LENGTHS) {
        for (let start = 0; start + length <= count; start++) {
          if (usable[start + length]! - usable[start]! !== length) continue;
          const sum = squares[start + length]! - squares[start]!;
          if (Math.abs(sum - 1) <= UNIT_NORM_TOLERANCE) return { offset: alignment + start * width, length, order: littleEndian ? 'little-endian' : 'big-endian' };
        }
      }
    }
  }
  return undefined;
}

/** Flag image signatures, unit-norm float runs and known embeddings in raw bytes. */
export function scanBytes(bytes: Buffer, path: string, options: ScanOptions = {}): Finding[] {
  const findings: Finding[] = [];
  for (const signature of IMAGE_SIGNATURES) {
    const offset = bytes.indexOf(signature.bytes);
    if (offset >= 0) findings.push({ path, reason: `${signature.format} image signature at byte ${offset} of ${bytes.length}` });
  }
  for (const width of [4, 8] as const) {
    const run = findUnitNormRun(bytes, width);
    if (run !== undefined) {
      findings.push({ path, reason: `${run.length} float${width * 8} values (${run.order}) with unit L2 norm at byte ${run.offset}, as a face embedding` });
    }
  }
  const known = options.knownEmbeddings?.find(bytes) ?? [];
  if (known.length > 0) findings.push({ path, reason: `${known.length} 16-byte windows of a known embedding, first at byte ${known[0]}` });
  return findings;
}

function scanString(text: string, path: string, known: boolean, options: ScanOptions): Finding[] {
  const findings: Finding[] = [];
  const maxStringLength = options.maxStringLength ?? 128;
  if (/^data:image\//i.test(text)) findings.push({ path, reason: 'data:image URL' });
  if (!known && text.length > maxStringLength) findings.push({ path, reason: `string of ${text.length} characters, over the ${maxStringLength}-character bound` });
  const dataUrl = /^data:[^,]*;base64,(.*)$/is.exec(text);
  for (const { encoding, bytes } of decodeBlob(dataUrl?.[1] ?? text)) {
    for (const finding of scanBytes(bytes, path, options)) findings.push({ path, reason: `${encoding} decodes to ${finding.reason}` });
  }
  return findings;
}

/** Walk parsed JSON and return every place that could carry biometric data. An empty list means none was found. */
export function scanValue(value: unknown, path = '$', options: ScanOptions = {}): Finding[] {
  const maxNumbers = options.maxNumbers ?? 8;
  const known = options.isKnownField?.(path, value) ?? false;
  if (typeof value === 'string') return scanString(value, path, known, options);
  if (Array.isArray(value)) {
    const findings: Finding[] = [];
    const numbers = countNumbers(value);
    if (numbers > maxNumbers) findings.push({ path, reason: `array of ${numbers} numbers, over the ${maxNumbers}-number bound (an embedding or landmarks?)` });
    value.forEach((item, index) => findings.push(...scanValue(item, `${path}[${index}]`, options)));
    return findings;
  }
  if (value === null || typeof value !== 'object') return [];

  const findings: Finding[] = [];
  for (const [key, item] of Object.entries(value)) {
    const itemPath = `${path}.${key}`;
    const words = keyWords(key).filter((word) => BIOMETRIC_WORDS.has(word));
    const count = typeof item === 'number' && Number.isInteger(item);
    if (words.length > 0 && !count && !(options.isKnownField?.(itemPath, item) ?? false)) {
      findings.push({ path: itemPath, reason: `key names biometric data (${words.join(', ')})` });
    }
    findings.push(...scanValue(item, itemPath, options));
  }
  return findings;
}

/** JOSE header parameters the facegate envelopes use. Any other header parameter is flagged. */
const JWE_HEADER_KEYS = new Set(['alg', 'enc', 'kid', 'typ', 'cty', 'epk']);
const EPK_KEYS = new Set(['kty', 'crv', 'x', 'y']);
const JWS_HEADER_KEYS = new Set(['alg', 'kid', 'typ']);
/** Decoded sizes of the compact JWE and JWS parts: A256KW-wrapped key, GCM IV and tag, Ed25519 signature. */
const PART_BYTES = { encryptedKey: 40, iv: 12, tag: 16, signature: 64 } as const;
const COMPACT_JWE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

function headerFindings(header: Record<string, unknown>, allowed: Set<string>, path: string, options: ScanOptions): Finding[] {
  const findings: Finding[] = [];
  for (const key of Object.keys(header)) if (!allowed.has(key)) findings.push({ path: `${path}.${key}`, reason: 'header parameter the envelope does not use' });
  const epk = header.epk;
  if (epk !== undefined) {
    if (epk === null || typeof epk !== 'object') findings.push({ path: `${path}.epk`, reason: 'epk is not a JWK object' });
    else for (const key of Object.keys(epk)) if (!EPK_KEYS.has(key)) findings.push({ path: `${path}.epk.${key}`, reason: 'epk member that a public key does not have' });
  }
  return [...findings, ...scanValue(header, path, options)];
}

function partFindings(part: string, expected: number, path: string): Finding[] {
  const length = Buffer.from(part, 'base64url').length;
  return length === expected ? [] : [{ path, reason: `${length} bytes where the algorithm produces ${expected}` }];
}

function parseJsonPart(part: string, path: string): { value?: unknown; finding?: Finding } {
  try {
    return { value: JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) };
  } catch {
    return { finding: { path, reason: 'not base64url JSON' } };
  }
}

export interface InspectedPayload {
  sealed: boolean;
  /** The JSON inside: the payload as published, or the signed payload inside a sealed one. */
  payload: unknown;
  /** JWS `kid` of a sealed payload. */
  signerKid?: string;
  findings: Finding[];
}

export interface InspectKeys {
  fleetPrivateKey: KeyObject;
  /** Public signing key registered for a kid, or undefined for an unknown signer. */
  deviceKey(kid: string): KeyObject | undefined;
}

/**
 * Inspect one MQTT payload as published: plain JSON (status, telemetry) is walked as it is. A
 * compact JWE is decrypted with the fleet key and its JWS verified with the registered device key,
 * then headers, part sizes and the signed payload are walked. A payload that is neither, or that
 * does not open, is itself a finding.
 */
export async function inspectPayload(payload: Buffer, keys: InspectKeys, options: ScanOptions = {}): Promise<InspectedPayload> {
  const text = payload.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(payload)) {
    return { sealed: false, payload: undefined, findings: [{ path: '$', reason: 'binary payload, not UTF-8 text' }, ...scanBytes(payload, '$', options)] };
  }
  if (!COMPACT_JWE.test(text)) {
    try {
      const value: unknown = JSON.parse(text);
      return { sealed: false, payload: value, findings: scanValue(value, '$', options) };
    } catch {
      return { sealed: false, payload: undefined, findings: [{ path: '$', reason: 'payload is neither JSON nor a compact JWE' }, ...scanString(text, '$', false, options)] };
    }
  }

  const [protectedHeader, encryptedKey, iv, , tag] = text.split('.') as [string, string, string, string, string];
  const findings: Finding[] = [];
  const jweHeader = parseJsonPart(protectedHeader, '$.jwe.header');
  if (jweHeader.finding !== undefined) findings.push(jweHeader.finding);
  else findings.push(...headerFindings(jweHeader.value as Record<string, unknown>, JWE_HEADER_KEYS, '$.jwe.header', options));
  findings.push(...partFindings(encryptedKey, PART_BYTES.encryptedKey, '$.jwe.encryptedKey'));
  findings.push(...partFindings(iv, PART_BYTES.iv, '$.jwe.iv'));
  findings.push(...partFindings(tag, PART_BYTES.tag, '$.jwe.tag'));

  let jws: string;
  try {
    jws = new TextDecoder('utf-8', { fatal: true }).decode((await compactDecrypt(text, keys.fleetPrivateKey)).plaintext);
  } catch (error) {
    return { sealed: true, payload: undefined, findings: [...findings, { path: '$.jwe', reason: `does not decrypt with the fleet key: ${String(error)}` }] };
  }
  const jwsParts = jws.split('.');
  if (jwsParts.length !== 3) return { sealed: true, payload: undefined, findings: [...findings, { path: '$.jws', reason: 'plaintext is not a compact JWS' }] };
  const [jwsProtected, jwsPayload, signature] = jwsParts as [string, string, string];
  const jwsHeader = parseJsonPart(jwsProtected, '$.jws.header');
  if (jwsHeader.finding !== undefined) return { sealed: true, payload: undefined, findings: [...findings, jwsHeader.finding] };
  findings.push(...headerFindings(jwsHeader.value as Record<string, unknown>, JWS_HEADER_KEYS, '$.jws.header', options));
  findings.push(...partFindings(signature, PART_BYTES.signature, '$.jws.signature'));

  const kid = (jwsHeader.value as { kid?: unknown }).kid;
  const deviceKey = typeof kid === 'string' ? keys.deviceKey(kid) : undefined;
  if (deviceKey === undefined) findings.push({ path: '$.jws.header.kid', reason: `kid ${JSON.stringify(kid)} is not a registered device key` });
  else {
    try {
      await compactVerify(jws, deviceKey);
    } catch (error) {
      findings.push({ path: '$.jws.signature', reason: `does not verify with the registered device key: ${String(error)}` });
    }
  }
  const inner = parseJsonPart(jwsPayload, '$.payload');
  if (inner.finding !== undefined) return { sealed: true, payload: undefined, findings: [...findings, inner.finding] };
  findings.push(...scanValue(inner.value, '$.payload', options));
  return { sealed: true, payload: inner.value, ...(typeof kid === 'string' ? { signerKid: kid } : {}), findings };
}
