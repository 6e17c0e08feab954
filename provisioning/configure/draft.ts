import fs from 'node:fs';
import path from 'node:path';

import { Document, isMap, parseDocument } from 'yaml';

import { provisionError } from '../i18n/errors.js';
import { SERVICE_USER } from '../identity/owner.js';
import { COMMON_CAMERA_KEYS, type ParsedValue, type Setting } from './settings.js';

/**
 * A configuration being edited. An existing file is edited in place through the YAML document
 * model, so the technician's comments, key order and untouched keys survive.
 */
export interface ConfigDraft {
  file: string;
  document: Document;
  existed: boolean;
}

export function openDraft(file: string, now: Date): ConfigDraft {
  if (!fs.existsSync(file)) {
    const document = new Document({});
    document.commentBefore = ` facegate configuration, written by "facegate provision configure" on ${now.toISOString()}.\n docs/config.md lists every key, its default and its allowed range.`;
    return { file, document, existed: false };
  }
  const document = parseDocument(fs.readFileSync(file, 'utf8'), { uniqueKeys: true });
  if (document.errors.length > 0) {
    throw provisionError('provision.config_yaml', { file, detail: document.errors[0]!.message.split('\n')[0]! });
  }
  if (document.contents !== null && !isMap(document.contents)) {
    throw provisionError('provision.config_yaml', { file, detail: 'the top level is not a mapping of sections' });
  }
  return { file, document, existed: true };
}

export function getValue(draft: ConfigDraft, keyPath: readonly string[]): unknown {
  const value = draft.document.getIn(keyPath, false);
  return value !== null && typeof value === 'object' && 'toJSON' in value ? (value as { toJSON(): unknown }).toJSON() : value;
}

/** Set one setting; `null` removes it. Changing the camera type drops the keys of the previous type. */
export function applySetting(draft: ConfigDraft, setting: Setting, value: ParsedValue): void {
  const { document } = draft;
  if (value === null) {
    document.deleteIn(setting.removable ?? setting.path);
    return;
  }
  if (setting.option === 'camera' && getValue(draft, ['camera', 'type']) !== value) {
    const camera = getValue(draft, ['camera']);
    if (camera !== null && typeof camera === 'object') {
      for (const key of Object.keys(camera)) if (!COMMON_CAMERA_KEYS.includes(key)) document.deleteIn(['camera', key]);
    }
  }
  document.setIn(setting.path, value);
}

/** Return the draft as plain data, for validation. */
export function draftData(draft: ConfigDraft): unknown {
  return draft.document.toJS() ?? {};
}

/**
 * Write the draft: the previous file is first copied to `<file>.<time>.bak`, then the new text
 * replaces it through a temporary file and a rename. The file is 0640; as root it goes to group
 * facegate, so the service can read it and only root can change it.
 */
export function writeDraft(draft: ConfigDraft, now: Date): { backup: string | undefined } {
  const folder = path.dirname(draft.file);
  fs.mkdirSync(folder, { recursive: true, mode: 0o750 });
  let backup: string | undefined;
  if (fs.existsSync(draft.file)) {
    const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    backup = `${draft.file}.${stamp}.bak`;
    for (let counter = 2; fs.existsSync(backup); counter++) backup = `${draft.file}.${stamp}-${counter}.bak`;
    fs.copyFileSync(draft.file, backup, fs.constants.COPYFILE_EXCL);
    fs.chmodSync(backup, fs.statSync(draft.file).mode & 0o777);
  }

  const temporary = `${draft.file}.${process.pid}.tmp`;
  const fd = fs.openSync(temporary, 'w', 0o640);
  try {
    fs.fchmodSync(fd, 0o640);
    fs.writeFileSync(fd, draft.document.toString({ lineWidth: 0 }));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  const group = process.getuid?.() === 0 ? findGroup(SERVICE_USER) : undefined;
  if (group !== undefined) fs.chownSync(temporary, 0, group);
  fs.renameSync(temporary, draft.file);
  return { backup };
}

function findGroup(name: string): number | undefined {
  try {
    const entry = fs.readFileSync('/etc/group', 'utf8').split('\n').map((line) => line.split(':')).find((fields) => fields[0] === name);
    return entry === undefined ? undefined : Number(entry[2]);
  } catch {
    return undefined;
  }
}
