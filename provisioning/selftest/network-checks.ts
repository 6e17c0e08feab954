import fs from 'node:fs';

import { connect } from 'mqtt';

import { errorMessage } from '../../appliance/common/errors.js';
import type { Logger } from '../../appliance/common/logger.js';
import type { FacegateConfig } from '../../appliance/config/index.js';
import { parseBrokerUrl } from '../../appliance/mqtt/client-options.js';
import { diagnose } from '../../appliance/mqtt/diagnose.js';
import { readClockSync, type ClockSyncReaderOptions } from '../../appliance/telemetry/clock-sync.js';
import { loadPrivateKey } from '../../protocol/keys.js';
import { certificateExpiry, isoDate, readCertificates, summarise } from '../pki/certificate.js';
import type { CheckResult } from './types.js';

/**
 * Check the device certificate (readable, matches its key, within its dates), then connect to the
 * broker with it. The connection uses the client id `<CN>-selftest`, so a running daemon, which
 * connects as `<CN>`, keeps its session; nothing is published.
 */
export async function runBrokerChecks(config: FacegateConfig, logger: Logger, now: Date, timeoutMs: number): Promise<CheckResult[]> {
  const { certFile, keyFile, caFile } = config.mqtt;
  let commonName: string;
  try {
    const certificate = readCertificates(certFile)[0]!;
    commonName = summarise(certificate).commonName ?? '';
    if (!certificate.checkPrivateKey(loadPrivateKey(keyFile))) {
      const detail = { key: 'certificate.keyMismatch' as const, params: { file: certFile, key: keyFile } };
      return [{ id: 'certificate', status: 'fail', detail, fix: { key: 'fix.certificate' } }, noBroker()];
    }
  } catch (error) {
    const detail = { key: 'certificate.unreadable' as const, params: { file: certFile, detail: errorMessage(error) } };
    return [{ id: 'certificate', status: 'fail', detail, fix: { key: 'fix.certificate' }, error }, noBroker()];
  }

  const expiry = certificateExpiry(certFile, now);
  const params = { cn: commonName, date: isoDate(expiry.level === 'not-yet-valid' ? expiry.validFrom : expiry.validTo), days: expiry.daysLeft };
  const results: CheckResult[] = [];
  switch (expiry.level) {
    case 'expired':
      results.push({ id: 'certificate', status: 'fail', detail: { key: 'certificate.expired', params }, fix: { key: 'fix.certificate' } });
      break;
    case 'not-yet-valid':
      results.push({ id: 'certificate', status: 'fail', detail: { key: 'certificate.notYetValid', params }, fix: { key: 'fix.certificate' } });
      break;
    case 'soon':
    case 'critical':
      results.push({ id: 'certificate', status: 'warn', detail: { key: 'certificate.soon', params }, fix: { key: 'fix.certificate' } });
      break;
    case 'ok':
      results.push({ id: 'certificate', status: 'pass', detail: { key: 'certificate.ok', params } });
  }

  results.push(await connectOnce(config, commonName, logger, timeoutMs));
  return results;
}

function noBroker(): CheckResult {
  return { id: 'broker', status: 'skip', detail: { key: 'broker.noCertificate' } };
}

async function connectOnce(config: FacegateConfig, commonName: string, logger: Logger, timeoutMs: number): Promise<CheckResult> {
  const { certFile, keyFile, caFile, url } = config.mqtt;
  const broker = parseBrokerUrl(url);
  const started = performance.now();
  const client = connect({
    protocol: 'mqtts',
    host: broker.host,
    port: broker.port,
    ca: fs.readFileSync(caFile),
    cert: fs.readFileSync(certFile),
    key: fs.readFileSync(keyFile),
    rejectUnauthorized: true,
    protocolVersion: 5,
    clientId: `${commonName}-selftest`,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: timeoutMs,
    properties: { sessionExpiryInterval: 0 },
  });

  const outcome = await new Promise<{ ok: true } | { ok: false; error: unknown }>((resolve) => {
    let failure: unknown;
    client.once('connect', () => resolve({ ok: true }));
    client.on('error', (error) => {
      failure ??= error;
    });
    client.once('close', () => resolve({ ok: false, error: failure ?? new Error('the connection closed before the broker answered') }));
  });
  const ms = Math.round(performance.now() - started);
  await client.endAsync(true).catch(() => undefined);

  if (outcome.ok) return { id: 'broker', status: 'pass', detail: { key: 'broker.ok', params: { url: broker.url, cn: commonName, ms } } };
  const diagnosis = diagnose(outcome.error, broker.url, { caFile, certFile, keyFile });
  logger.warn({ code: diagnosis.code, kind: diagnosis.kind }, `self-test: ${diagnosis.summary}`);
  return {
    id: 'broker',
    status: 'fail',
    detail: { key: 'broker.failed', params: { url: broker.url, summary: diagnosis.summary.replace(/\s+/g, ' ').trim() } },
    fix: { key: `fix.broker.${diagnosis.kind}`, params: { ca: caFile, cn: commonName, host: broker.host, port: broker.port } },
  };
}

/** Read the clock-sync state the way the daemon does. */
export async function runClockCheck(options: ClockSyncReaderOptions = {}): Promise<CheckResult> {
  const reading = await readClockSync(options);
  if (reading.state === 'synced') return { id: 'clock', status: 'pass', detail: { key: 'clock.synced', params: { source: reading.source ?? 'ntp' } } };
  return { id: 'clock', status: 'fail', detail: { key: reading.state === 'unsynced' ? 'clock.unsynced' : 'clock.unknown' }, fix: { key: 'fix.clock' } };
}
