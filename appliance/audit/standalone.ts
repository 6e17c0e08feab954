import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from '../common/logger.js';
import { OUTBOX_FILE, Outbox } from '../outbox/outbox.js';
import type { AuditEntry } from './entry.js';
import { AuditLog, type AuditDraft } from './log.js';

/** Device and site an audit entry is written for. */
export interface DeviceNames {
  deviceId: string;
  siteId: string;
}

/**
 * Find the device and site of a state folder: `identity.json` from `provision init`, or else the
 * newest entry of an audit log the daemon already wrote. Returns undefined when neither exists.
 */
export function deviceNamesFor(stateDir: string): DeviceNames | undefined {
  try {
    const identity = JSON.parse(fs.readFileSync(path.join(stateDir, 'identity.json'), 'utf8')) as Partial<DeviceNames>;
    if (typeof identity.deviceId === 'string' && typeof identity.siteId === 'string') return { deviceId: identity.deviceId, siteId: identity.siteId };
  } catch {
    // No identity (a device set up by hand, a test folder): the audit log may still name the device.
  }
  const file = path.join(stateDir, OUTBOX_FILE);
  if (!fs.existsSync(file)) return undefined;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_entries'").get();
    if (table === undefined) return undefined;
    const row = db.prepare<[], { device_id: string; site_id: string }>('SELECT device_id, site_id FROM audit_entries ORDER BY position DESC LIMIT 1').get();
    return row === undefined ? undefined : { deviceId: row.device_id, siteId: row.site_id };
  } finally {
    db.close();
  }
}

/**
 * Record one audit entry from a process other than the daemon (the `enroll` and `gallery remove`
 * commands). The entry goes into `<stateDir>/outbox.db` in a short immediate transaction: the
 * database is in WAL mode with a busy timeout, and the chain head is read inside the transaction,
 * so a running daemon and this process append one after the other. The daemon's shipper sends the
 * entry with its next batch. Returns undefined, after a warning, when the device has no identity
 * and no audit log yet.
 */
export async function recordStandalone(stateDir: string, draft: AuditDraft, logger: Logger): Promise<AuditEntry | undefined> {
  const names = deviceNamesFor(stateDir);
  if (names === undefined) {
    logger.warn({ stateDir, action: draft.action }, 'no audit entry written: the state folder has neither identity.json nor an audit log to name the device');
    return undefined;
  }
  const outbox = Outbox.open({ stateDir, deviceId: names.deviceId, logger });
  try {
    const audit = AuditLog.attach({ outbox, siteId: names.siteId, logger });
    return audit.record(draft);
  } finally {
    await outbox.close();
  }
}

/** The person running a command on the device: a technician named by the login user (`SUDO_USER` under sudo). */
export function commandLineActor(env: NodeJS.ProcessEnv = process.env): AuditDraft['actor'] {
  let name = env.SUDO_USER;
  if (name === undefined) {
    try {
      name = os.userInfo().username;
    } catch {
      name = undefined;
    }
  }
  return { kind: 'technician', id: name !== undefined && /^[A-Za-z0-9._:@-]{1,64}$/.test(name) ? name : null };
}
