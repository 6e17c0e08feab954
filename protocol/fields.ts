import { z } from 'zod';
import { ID_PATTERN } from './topics.js';
import { UUIDV7_PATTERN } from './uuidv7.js';
import { isMacauTime } from './wall-time.js';

/**
 * Field types shared by the wire schemas. Every string has a pattern and a small maximum length,
 * and every number a range, so no field can carry an image, a crop, landmarks or an embedding.
 * For scale, a 512-float embedding is about 2.7 kB as base64, far over any string limit here.
 */

export const SCHEMA_VERSION = 1;

export const siteId = z.string().regex(ID_PATTERN, 'must be 1 to 64 characters from A-Z a-z 0-9 . _ -');
export const deviceId = siteId;

export const eventId = z.string().regex(UUIDV7_PATTERN, 'must be a lower-case UUIDv7');

/** RFC 3339 wall time with the Macau offset, e.g. `2026-12-04T20:16:19.123+08:00`. */
export const macauTime = z
  .string()
  .max(40)
  .refine(isMacauTime, 'must be RFC 3339 with the +08:00 offset, e.g. 2026-12-04T20:16:19.123+08:00');

/** A short lower-case token such as a reason or a clock source: `ntp`, `no-face`, `door.timeout`. */
export const shortToken = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,47}$/, 'must be 1 to 48 characters from a-z 0-9 . _ - starting with a letter or digit');

export const clockState = z.enum(['synced', 'unsynced', 'unknown']);

/** Clock-sync state at the moment of the reading, and where the time came from (`ntp`, `gps`, `rtc`). */
export const clock = z.strictObject({
  state: clockState,
  source: shortToken.max(16).optional(),
});

const MAX_MODELS = 8;

/** Model name to short version string, e.g. `{ "fr_detect": "6c0256cc" }`. */
export const modelVersions = z
  .record(
    z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/, 'model names are 1 to 32 characters from A-Z a-z 0-9 . _ -'),
    z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,31}$/, 'model versions are 1 to 32 characters from A-Z a-z 0-9 . _ + -'),
  )
  .refine((models) => Object.keys(models).length <= MAX_MODELS, `at most ${MAX_MODELS} models`);

/** Firmware version such as `1.4.0` or `1.4.0-rc.1+g1a2b3c4`. */
export const firmwareVersion = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,47}$/, 'must be 1 to 48 characters from A-Z a-z 0-9 . _ + -');

export const nonNegativeInteger = z.number().int().min(0);
