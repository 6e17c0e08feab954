import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../common/logger.js';
import { LatencyWindow } from './latency-window.js';
import { TelemetryReporter, type TelemetrySources } from './reporter.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facegate-telemetry-'));

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Write a self-signed certificate valid for `days` days from now and return its file. */
function certificateValidFor(days: number): string {
  const cert = path.join(dir, `cert-${days}.pem`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', path.join(dir, `key-${days}.pem`), '-out', cert, '-days', String(days), '-subj', '/CN=gate-01'], { stdio: 'ignore' });
  return cert;
}

function reporterWith(extra: Partial<TelemetrySources>): TelemetryReporter {
  return new TelemetryReporter({
    intervalMs: 60_000,
    logger: silentLogger(),
    publish: () => 'sent',
    sources: {
      takeFramesAnalysed: () => 0,
      latencies: new LatencyWindow(),
      outboxDepth: () => 0,
      skippedFrames: () => 0,
      clock: () => ({ state: 'unknown' }),
      stateDir: dir,
      ...extra,
    },
  });
}

describe('telemetry reporter', () => {
  it('reports certificate days left', async () => {
    const sample = await reporterWith({ certificateFile: certificateValidFor(20) }).collect();
    // openssl counts from the moment of signing, so a second may already have passed.
    expect([19, 20]).toContain(sample.certDaysLeft);
  });

  it('reports null for an unreadable certificate', async () => {
    const sample = await reporterWith({ certificateFile: path.join(dir, 'missing.pem') }).collect();
    expect(sample.certDaysLeft).toBeNull();
  });

  it('leaves the field out without a certificate', async () => {
    const sample = await reporterWith({}).collect();
    expect('certDaysLeft' in sample).toBe(false);
  });
});
