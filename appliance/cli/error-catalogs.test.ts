import fs from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { FacegateError } from '../common/errors.js';
import { PROJECT_ROOT } from '../common/paths.js';
import { LOCALES } from '../i18n/locale.js';
import type { Messages } from '../i18n/translate.js';
import * as errorCatalogs from './error-catalogs.js';
import { catalogWith, localiseFacegateError } from './localise-error.js';

const SOURCE_ROOTS = ['appliance', 'provisioning', 'fleet', 'protocol'];

// Codes a technician never sees at the terminal, each with the reason.
const INTERNAL: Record<string, string> = {
  GALLERY_CLOSED: 'raised only when code uses the gallery after close(), a programming error',
  GALLERY_DIMENSION_INVALID: 'embeddings come from the loaded model, so a wrong length is a programming error',
  GALLERY_MODEL_VERSION_INVALID: 'the model version comes from the manifest, not from the technician',
  GALLERY_QUALITY_INVALID: 'quality scores are computed by the pipeline, not typed',
  GALLERY_NO_EMBEDDINGS: 'enroll stops earlier with a face or image error when no photo yields a template',
  EMBEDDING_INVALID: 'embeddings come from the loaded model, so a non-finite value is a programming error',
  MATCHER_DIMENSION_INVALID: 'the matcher is built from the gallery, so a wrong length is a programming error',
  'audit.invalid_entry': 'audit drafts are built by the daemon; nothing of the transaction is written',
  'camera.aborted': 'signals a frame wait cancelled by stop(); the camera supervisor handles it',
  'camera.stopped': 'signals a source stopped on purpose; the camera supervisor handles it',
  'gpio.not_started': 'raised only when code drives a line before start(), a programming error',
  'gpio.line_closed': 'raised only when code drives a line after stop(), a programming error',
  'gpio.unknown_type': 'the configuration schema accepts only the known GPIO driver types',
  TOPIC_INVALID: 'topics are built from ids the configuration schema has already checked',
  TOPIC_INVALID_CHANNEL: 'channels are constants in the code',
  TOPIC_INVALID_ID: 'fleet command reports a bad --site or --device as a usage error; elsewhere ids come from checked configuration',
};

// TODO: translate these codes of the daemon start-up and fleet set-up into all four locales; until
// then the CLI prints their English message and hint.
const NOT_YET_TRANSLATED = new Set([
  'DATA_KEY_INVALID_LENGTH', 'DATA_KEY_MODE_TOO_OPEN', 'DATA_KEY_NOT_A_FILE', 'DATA_KEY_UNREADABLE',
  'GALLERY_DATA_KEY_MISMATCH', 'GALLERY_DISPLAY_NAME_INVALID', 'GALLERY_ROW_CORRUPT', 'GALLERY_SCHEMA_TOO_NEW',
  'GALLERY_SUBJECT_KEY_CORRUPT', 'GALLERY_WAL_UNAVAILABLE', 'MATCHER_OUT_OF_MEMORY', 'MATCHER_SIMD_UNAVAILABLE',
]);

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(file);
    const isSource = entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.includes('test-helpers') && entry.name !== 'testing.ts';
    return isSource ? [file] : [];
  });
}

/**
 * Collect every literal FacegateError code in the sources: `new FacegateError('code'` (and both
 * branches of a ternary there), catalog helpers such as `provisionError('code'`, the fixed codes of
 * FacegateError subclasses, and `command.<reason>` of CommandRejectedError.
 */
function collectErrorCodes(): Map<string, string> {
  const codes = new Map<string, string>();
  const add = (code: string, file: string): void => void codes.set(code, path.relative(PROJECT_ROOT, file));
  for (const file of SOURCE_ROOTS.flatMap((root) => sourceFiles(path.join(PROJECT_ROOT, root)))) {
    const text = fs.readFileSync(file, 'utf8');
    for (const match of text.matchAll(/new FacegateError(?:Class)?\(\s*([^,]+),/g)) {
      for (const literal of match[1]!.matchAll(/'([^']+)'/g)) add(literal[1]!, file);
    }
    for (const match of text.matchAll(/\b(?:gpio|mqtt|outbox|provision|command)Error\(\s*'([^']+)'/g)) add(match[1]!, file);
    for (const match of text.matchAll(/\bsuper\(\s*(?:'[^']+',\s*)?'((?:provision\.|ENVELOPE_)[^']+)'/g)) add(match[1]!, file);
    for (const match of text.matchAll(/new CommandRejectedError\(\s*'([^']+)'/g)) add(`command.${match[1]!}`, file);
  }
  return codes;
}

const catalogs = Object.entries(errorCatalogs) as [string, Messages<string>][];
const placeholders = (text: string): string[] => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!).sort();
const codes = collectErrorCodes();
const shown = [...codes.keys()].filter((code) => !(code in INTERNAL) && !NOT_YET_TRANSLATED.has(code) && !/^(ENVELOPE_|command\.)/.test(code));

describe('error catalogs', () => {
  it('finds the codes in the sources', () => {
    expect(codes.get('consent.not_on_roster')).toBe('appliance/cli/commands/consent.ts');
    expect(codes.has('provision.not_initialised')).toBe(true);
    expect(codes.has('command.bad-signature')).toBe(true);
    expect(codes.has('ENVELOPE_DECRYPTION_FAILED')).toBe(true);
    expect(codes.size).toBeGreaterThan(100);
  });

  it.each(catalogs)('%s has every key in all locales', (_name, messages) => {
    const english = Object.keys(messages.catalogs.en).sort();
    for (const locale of LOCALES) expect(Object.keys(messages.catalogs[locale]).sort(), locale).toEqual(english);
  });

  it('defines each error code in one catalog', () => {
    for (const code of shown) {
      const owners = catalogs.filter(([, messages]) => messages.has(code)).map(([name]) => name);
      expect(owners.length, `${code} is in ${owners.join(', ')}`).toBeLessThanOrEqual(1);
    }
  });

  it.each(shown)('%s reads in all four locales', (code) => {
    const error = new FacegateError(code, 'ENGLISH MESSAGE', { hint: 'ENGLISH HINT' });
    for (const locale of LOCALES) {
      const { message, hint } = localiseFacegateError(error, locale);
      expect(message, `${code} message in ${locale}`).not.toBe('ENGLISH MESSAGE');
      expect(hint, `${code} hint in ${locale}`).not.toBe('ENGLISH HINT');
    }
    const messages = catalogWith(code);
    if (messages === undefined) return; // a prefix entry such as `face.quality` covers it
    for (const locale of LOCALES) {
      expect(placeholders(messages.catalogs[locale][code]!), `${code} placeholders in ${locale}`).toEqual(placeholders(messages.catalogs.en[code]!));
    }
  });

  it('lists no stale exception', () => {
    for (const code of [...Object.keys(INTERNAL), ...NOT_YET_TRANSLATED]) {
      expect(codes.has(code), `${code} is no longer raised`).toBe(true);
      expect(catalogWith(code), `${code} now has a message; drop it from the list`).toBeUndefined();
    }
  });
});
