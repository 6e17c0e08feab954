import type { Logger } from '../appliance/common/logger.js';
import { deviceStatus } from '../protocol/status.js';
import { telemetry as telemetrySchema } from '../protocol/telemetry.js';
import type { TopicParts } from '../protocol/topics.js';
import type { AlertManager } from './alerts.js';
import type { FleetStore } from './store.js';

/** Days before expiry at which a device certificate raises `certificate.expiring`. */
export const CERTIFICATE_ALERT_DAYS = 30;

/**
 * Device online/offline state from the retained `status` messages (the device's own `online` and
 * `offline`, and the broker's Last Will `offline` with reason `connection-lost`), from telemetry,
 * and from silence: a device heard from neither for `telemetryTimeoutMs` is marked offline.
 * Telemetry also drives the outbox-backlog and clock alerts.
 *
 * Status and telemetry are plain JSON, not sealed: the broker ACL lets only the device's own
 * certificate publish under its topic, and the payload must name the same device and site.
 */

export interface PresenceOptions {
  store: FleetStore;
  alerts: AlertManager;
  logger: Logger;
  telemetryTimeoutMs: number;
  outboxBacklog: number;
  now?: () => number;
}

export class Presence {
  private readonly log: Logger;
  private readonly now: () => number;

  constructor(private readonly options: PresenceOptions) {
    this.log = options.logger.child({ module: 'presence' });
    this.now = options.now ?? Date.now;
  }

  async handleStatus(parts: TopicParts, payload: Buffer): Promise<void> {
    if (payload.length === 0) return; // a cleared retained message
    const status = this.parse(deviceStatus, parts, payload, 'status');
    if (status === undefined) return;
    const at = this.now();
    const before = await this.options.store.setDeviceState({ deviceId: status.deviceId, siteId: status.siteId, state: status.state, reason: status.reason, at, firmware: status.firmware, models: status.models });
    if (status.state === 'online') {
      await this.options.alerts.resolve(status.deviceId, 'device.offline');
      return;
    }
    if (before === 'offline') return;
    const how = status.reason === 'connection-lost' ? 'lost its connection (Last Will)' : 'was stopped';
    await this.options.alerts.raise(status.deviceId, 'device.offline', `Device ${status.deviceId} at ${status.siteId} is offline: it ${how}.`, { reason: status.reason });
  }

  async handleTelemetry(parts: TopicParts, payload: Buffer): Promise<void> {
    const sample = this.parse(telemetrySchema, parts, payload, 'telemetry');
    if (sample === undefined) return;
    const before = await this.options.store.recordTelemetry(sample, this.now());
    const { alerts, outboxBacklog } = this.options;
    if (before === 'offline') await alerts.resolve(sample.deviceId, 'device.offline');

    if (sample.outboxDepth >= outboxBacklog) {
      await alerts.raise(sample.deviceId, 'outbox.backlog', `Device ${sample.deviceId} has ${sample.outboxDepth} undelivered messages (alert at ${outboxBacklog}).`, { depth: sample.outboxDepth });
    } else {
      await alerts.resolve(sample.deviceId, 'outbox.backlog');
    }
    if (sample.certDaysLeft !== undefined && sample.certDaysLeft !== null) {
      if (sample.certDaysLeft < CERTIFICATE_ALERT_DAYS) {
        const when = sample.certDaysLeft < 0 ? `expired ${-sample.certDaysLeft} days ago` : `expires in ${sample.certDaysLeft} days`;
        await alerts.raise(sample.deviceId, 'certificate.expiring', `The TLS certificate of device ${sample.deviceId} ${when}; issue a new one with facegate provision sign.`, { daysLeft: sample.certDaysLeft });
      } else {
        await alerts.resolve(sample.deviceId, 'certificate.expiring');
      }
    }
    if (sample.clock.state === 'unsynced') {
      await alerts.raise(sample.deviceId, 'clock.unsynced', `Device ${sample.deviceId} reports an unsynchronised clock; its attendance times may be wrong.`, { source: sample.clock.source ?? null });
    } else if (sample.clock.state === 'synced') {
      await alerts.resolve(sample.deviceId, 'clock.unsynced');
    }
  }

  /** Mark devices silent for longer than the timeout as offline and alert once for each. */
  async sweep(): Promise<void> {
    const now = this.now();
    const silent = await this.options.store.markSilentOffline(now - this.options.telemetryTimeoutMs, now);
    for (const device of silent) {
      const seconds = device.last_seen === null ? 'ever' : `${Math.round((now - device.last_seen) / 1000)} s`;
      await this.options.alerts.raise(device.device_id, 'device.offline', `Device ${device.device_id} sent nothing for ${seconds}; marked offline.`, { reason: 'telemetry-timeout' });
    }
  }

  private parse<T extends { deviceId: string; siteId: string }>(schema: { safeParse(value: unknown): { success: true; data: T } | { success: false; error: { issues: Array<{ path: PropertyKey[]; message: string }> } } }, parts: TopicParts, payload: Buffer, what: string): T | undefined {
    let json: unknown;
    try {
      json = JSON.parse(payload.toString('utf8'));
    } catch {
      this.log.warn({ deviceId: parts.deviceId, what }, `${what} message of ${parts.deviceId} is not JSON; ignored`);
      return undefined;
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      this.log.warn({ deviceId: parts.deviceId, what, path: issue.path.join('.'), problem: issue.message }, `${what} message of ${parts.deviceId} fails the schema; ignored`);
      return undefined;
    }
    if (parsed.data.deviceId !== parts.deviceId || parsed.data.siteId !== parts.siteId) {
      this.log.warn({ topicDevice: parts.deviceId, payloadDevice: parsed.data.deviceId }, `${what} message names ${parsed.data.siteId}/${parsed.data.deviceId} but arrived on the topic of ${parts.siteId}/${parts.deviceId}; ignored`);
      return undefined;
    }
    return parsed.data;
  }
}
