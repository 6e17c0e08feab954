import crypto from 'node:crypto';

/** AES-256-GCM output as stored in a table row: 12-byte nonce, ciphertext and 16-byte tag. */
export interface SealedBox {
  nonce: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

/** Fields bound to a template ciphertext as additional authenticated data. Changing any of them makes decryption fail. */
export interface TemplateBinding {
  subjectId: string;
  templateId: string;
  modelVersion: string;
}

/** Keys derived from the device data key, one per purpose, so no key is used by two algorithms. */
export interface GalleryKeys {
  /** AES-256-GCM key that wraps the per-subject keys. */
  wrapKey: Buffer;
  /** HMAC-SHA256 key for the pseudonymous subject ids sent on the wire. */
  pseudonymKey: Buffer;
  /** HMAC-SHA256 key for the check value that shows which data key created a gallery. */
  checkKey: Buffer;
}

export const SUBJECT_KEY_BYTES = 32;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
/** Hex characters in a pseudonymous subject id (128 bits of the HMAC). */
export const PSEUDONYM_HEX_CHARS = 32;

const CIPHER = 'aes-256-gcm';

/** Derive the purpose-bound gallery keys from the device data key with HKDF-SHA256. */
export function deriveGalleryKeys(dataKey: Buffer): GalleryKeys {
  const derive = (info: string): Buffer =>
    Buffer.from(crypto.hkdfSync('sha256', dataKey, Buffer.alloc(0), `facegate/gallery/${info}/v1`, 32));
  return {
    wrapKey: derive('subject-key-wrap'),
    pseudonymKey: derive('pseudonym'),
    checkKey: derive('key-check'),
  };
}

/** Overwrite derived keys in memory; Node keeps its own copies inside cipher objects, so this is best effort. */
export function wipeGalleryKeys(keys: GalleryKeys): void {
  keys.wrapKey.fill(0);
  keys.pseudonymKey.fill(0);
  keys.checkKey.fill(0);
}

/** Return the 32-hex-character pseudonymous id of a subject: HMAC-SHA256 of the id, truncated to 128 bits. */
export function pseudonymOf(pseudonymKey: Buffer, subjectId: string): string {
  return crypto.createHmac('sha256', pseudonymKey).update(subjectId, 'utf8').digest('hex').slice(0, PSEUDONYM_HEX_CHARS);
}

/** Return the value stored beside the gallery that shows which data key created it. */
export function keyCheckValue(checkKey: Buffer): Buffer {
  return crypto.createHmac('sha256', checkKey).update('facegate gallery key check').digest();
}

export function newSubjectKey(): Buffer {
  return crypto.randomBytes(SUBJECT_KEY_BYTES);
}

/** Encrypt a subject key under the wrap key, bound to the subject id so the row cannot serve another subject. */
export function wrapSubjectKey(wrapKey: Buffer, subjectId: string, subjectKey: Buffer): SealedBox {
  return seal(wrapKey, subjectKeyAad(subjectId), subjectKey);
}

/** Decrypt a wrapped subject key. Throws if the row was edited or belongs to another subject. */
export function unwrapSubjectKey(wrapKey: Buffer, subjectId: string, box: SealedBox): Buffer {
  const key = open(wrapKey, subjectKeyAad(subjectId), box);
  if (key.length !== SUBJECT_KEY_BYTES) throw new Error(`unwrapped subject key is ${key.length} bytes`);
  return key;
}

/** Encrypt one embedding (little-endian float32) under its subject key with a fresh random nonce. */
export function encryptTemplate(subjectKey: Buffer, binding: TemplateBinding, embedding: Float32Array): SealedBox {
  const plain = Buffer.alloc(embedding.length * 4);
  for (let i = 0; i < embedding.length; i++) plain.writeFloatLE(embedding[i]!, i * 4);
  try {
    return seal(subjectKey, templateAad(binding), plain);
  } finally {
    plain.fill(0);
  }
}

/** Decrypt one template. Throws if the nonce, ciphertext, tag or any bound field was changed. */
export function decryptTemplate(subjectKey: Buffer, binding: TemplateBinding, box: SealedBox): Float32Array {
  const plain = open(subjectKey, templateAad(binding), box);
  try {
    if (plain.length % 4 !== 0) throw new Error(`template plaintext is ${plain.length} bytes, not whole float32 values`);
    const embedding = new Float32Array(plain.length / 4);
    for (let i = 0; i < embedding.length; i++) embedding[i] = plain.readFloatLE(i * 4);
    return embedding;
  } finally {
    plain.fill(0);
  }
}

function seal(key: Buffer, aad: Buffer, plain: Buffer): SealedBox {
  const nonce = crypto.randomBytes(NONCE_BYTES);
  const cipher = crypto.createCipheriv(CIPHER, key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
  return { nonce, ciphertext, tag: cipher.getAuthTag() };
}

function open(key: Buffer, aad: Buffer, box: SealedBox): Buffer {
  if (box.nonce.length !== NONCE_BYTES) throw new Error(`nonce is ${box.nonce.length} bytes, expected ${NONCE_BYTES}`);
  if (box.tag.length !== TAG_BYTES) throw new Error(`tag is ${box.tag.length} bytes, expected ${TAG_BYTES}`);
  const decipher = crypto.createDecipheriv(CIPHER, key, box.nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(box.tag);
  return Buffer.concat([decipher.update(box.ciphertext), decipher.final()]);
}

function subjectKeyAad(subjectId: string): Buffer {
  return encodeFields(['facegate/subject-key/v1', subjectId]);
}

function templateAad(binding: TemplateBinding): Buffer {
  return encodeFields(['facegate/template/v1', binding.subjectId, binding.templateId, binding.modelVersion]);
}

/** Length-prefix every field, so ("ab", "c") and ("a", "bc") give different bytes. */
function encodeFields(fields: string[]): Buffer {
  const parts: Buffer[] = [];
  for (const field of fields) {
    const bytes = Buffer.from(field, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    parts.push(length, bytes);
  }
  return Buffer.concat(parts);
}
