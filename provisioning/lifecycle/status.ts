import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';

import { errorMessage } from '../../appliance/common/errors.js';
import { modelsDir } from '../../appliance/common/paths.js';
import type { FacegateConfig } from '../../appliance/config/index.js';
import { MODEL_NAMES, readManifest, sha256 } from '../../appliance/vision/models.js';
import { keyId, loadPublicKey } from '../../protocol/keys.js';
import { hasIdentity, readIdentity, type DeviceIdentity } from '../identity/identity.js';
import { rotationPending } from '../identity/rotate.js';
import type { StatePaths } from '../paths.js';
import { certificateExpiry, daysLeft, readCertificates, summarise, type ExpiryReport } from '../pki/certificate.js';

export interface ModelStatus {
  name: string;
  file: string;
  expected: string;
  state: 'ok' | 'missing' | 'altered';
}

/** Everything `provision status` reports; absent parts are undefined, unreadable ones carry an error text. */
export interface DeviceStatusReport {
  stateDir: string;
  identity: DeviceIdentity | undefined;
  rotationPending: boolean;
  certificate: (ExpiryReport & { issuer: string; serial: string }) | { file: string; error: string } | undefined;
  brokerCa: Array<{ subject: string; validTo: Date; daysLeft: number }> | { file: string; error: string } | undefined;
  fleetKeyId: string | { file: string; error: string } | undefined;
  models: ModelStatus[] | { error: string };
  gallery: { subjects: number; templates: number } | { error: string } | undefined;
  outbox: { pending: number; delivered: number; quarantined: number; lastDeliveredAt: Date | undefined; oldestPendingAt: Date | undefined } | { error: string } | undefined;
  roster: { workers: number } | { error: string } | undefined;
}

/** Gather the device's state without changing anything: databases are only read, and missing files are reported as missing. */
export async function collectStatus(paths: StatePaths, config: FacegateConfig | undefined, now: Date, warningDays?: number): Promise<DeviceStatusReport> {
  return {
    stateDir: paths.stateDir,
    identity: hasIdentity(paths) ? readIdentity(paths) : undefined,
    rotationPending: rotationPending(paths),
    certificate: certificateStatus(paths.certificate, now, warningDays),
    brokerCa: caStatus(paths.brokerCa, now),
    fleetKeyId: fleetKeyStatus(paths.fleetPublicKey),
    models: await modelStatus(config?.modelsDir ?? modelsDir()),
    gallery: query(paths.galleryDb, (db) => {
      const row = db.prepare('SELECT (SELECT COUNT(*) FROM subjects) AS subjects, (SELECT COUNT(*) FROM templates) AS templates').get() as { subjects: number; templates: number };
      return { subjects: row.subjects, templates: row.templates };
    }),
    outbox: query(paths.outboxDb, (db) => {
      const row = db
        .prepare(
          `SELECT (SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL) AS pending,
                  (SELECT COUNT(*) FROM outbox WHERE delivered_at IS NOT NULL) AS delivered,
                  (SELECT COUNT(*) FROM quarantine) AS quarantined,
                  (SELECT MAX(delivered_at) FROM outbox) AS lastDelivered,
                  (SELECT MIN(created_at) FROM outbox WHERE delivered_at IS NULL) AS oldestPending`,
        )
        .get() as { pending: number; delivered: number; quarantined: number; lastDelivered: number | null; oldestPending: number | null };
      return {
        pending: row.pending,
        delivered: row.delivered,
        quarantined: row.quarantined,
        lastDeliveredAt: row.lastDelivered === null ? undefined : new Date(row.lastDelivered),
        oldestPendingAt: row.oldestPending === null ? undefined : new Date(row.oldestPending),
      };
    }),
    roster: query(paths.rosterDb, (db) => ({ workers: (db.prepare('SELECT COUNT(*) AS n FROM workers').get() as { n: number }).n })),
  };
}

function certificateStatus(file: string, now: Date, warningDays: number | undefined): DeviceStatusReport['certificate'] {
  if (!fs.existsSync(file)) return undefined;
  try {
    const summary = summarise(readCertificates(file)[0]!);
    return { ...certificateExpiry(file, now, warningDays), issuer: summary.issuer, serial: summary.serial };
  } catch (error) {
    return { file, error: errorMessage(error) };
  }
}

function caStatus(file: string, now: Date): DeviceStatusReport['brokerCa'] {
  if (!fs.existsSync(file)) return undefined;
  try {
    return readCertificates(file).map((certificate) => {
      const summary = summarise(certificate);
      return { subject: summary.subject, validTo: summary.validTo, daysLeft: daysLeft(summary.validTo, now) };
    });
  } catch (error) {
    return { file, error: errorMessage(error) };
  }
}

function fleetKeyStatus(file: string): DeviceStatusReport['fleetKeyId'] {
  if (!fs.existsSync(file)) return undefined;
  try {
    return keyId(loadPublicKey(file));
  } catch (error) {
    return { file, error: errorMessage(error) };
  }
}

async function modelStatus(dir: string): Promise<ModelStatus[] | { error: string }> {
  try {
    const manifest = await readManifest();
    return MODEL_NAMES.map((name) => {
      const entry = manifest.models[name];
      const file = path.join(dir, entry.file);
      if (!fs.existsSync(file)) return { name, file, expected: entry.sha256, state: 'missing' as const };
      return { name, file, expected: entry.sha256, state: sha256(fs.readFileSync(file)) === entry.sha256 ? ('ok' as const) : ('altered' as const) };
    });
  } catch (error) {
    return { error: errorMessage(error) };
  }
}

/** Run one read-only query on a database that may not exist yet. */
function query<T>(file: string, read: (db: Database.Database) => T): T | { error: string } | undefined {
  if (!fs.existsSync(file)) return undefined;
  let db: Database.Database | undefined;
  try {
    // Not `readonly`: a read-only connection cannot open a WAL database whose -shm file is missing.
    db = new Database(file, { fileMustExist: true });
    db.pragma('busy_timeout = 2000');
    return read(db);
  } catch (error) {
    return { error: errorMessage(error) };
  } finally {
    db?.close();
  }
}
