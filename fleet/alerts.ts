import { EventEmitter } from 'node:events';
import type { Logger } from '../appliance/common/logger.js';
import { uuidv7 } from '../protocol/uuidv7.js';
import type { FleetStore } from './store.js';

/**
 * Alerts for operators. An alert of a kind that describes a lasting condition (device offline,
 * chain gap, outbox backlog, clock unsynchronised) is open at most once per device: raising it
 * again while open does nothing, and it closes when the condition clears. Incidents (door forced,
 * held open, envelope rejected) are raised every time. With several fleet instances the open-key
 * constraint in the database makes sure only one of them raises a lasting alert.
 */

export const ALERT_KINDS = {
  'device.offline': { severity: 'warning', lasting: true },
  'chain.broken': { severity: 'critical', lasting: true },
  'chain.gap': { severity: 'warning', lasting: true },
  'chain.fork': { severity: 'critical', lasting: false },
  'checkpoint.bad-signature': { severity: 'critical', lasting: false },
  'checkpoint.mismatch': { severity: 'critical', lasting: false },
  'outbox.backlog': { severity: 'warning', lasting: true },
  'clock.unsynced': { severity: 'warning', lasting: true },
  'certificate.expiring': { severity: 'warning', lasting: true },
  'door.forced': { severity: 'critical', lasting: false },
  'door.held-open': { severity: 'warning', lasting: false },
  'envelope.rejected': { severity: 'critical', lasting: false },
} as const;

export type AlertKind = keyof typeof ALERT_KINDS;
export type AlertDetails = Record<string, string | number | boolean | null>;

export interface Alert {
  alertId: string;
  deviceId: string;
  kind: AlertKind;
  severity: string;
  message: string;
  details: AlertDetails;
  raisedAt: number;
}

export interface AlertEvents {
  raised: Alert;
  resolved: { deviceId: string; kind: AlertKind; resolvedAt: number };
}

export class AlertManager {
  private readonly emitter = new EventEmitter();
  private readonly log: Logger;

  constructor(
    private readonly store: FleetStore,
    logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.log = logger.child({ module: 'alerts' });
  }

  /** Raise an alert; returns it, or undefined when a lasting alert of this kind is already open for the device. */
  async raise(deviceId: string, kind: AlertKind, message: string, details: AlertDetails = {}): Promise<Alert | undefined> {
    const { severity, lasting } = ALERT_KINDS[kind];
    const alert: Alert = { alertId: uuidv7(), deviceId, kind, severity, message, details, raisedAt: this.now() };
    const rows = await this.store.db.query<{ alert_id: string }>(
      `INSERT INTO alerts (alert_id, device_id, kind, severity, message, details, raised_at, open_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (open_key) DO NOTHING RETURNING alert_id`,
      [alert.alertId, deviceId, kind, severity, message, JSON.stringify(details), alert.raisedAt, lasting ? `${deviceId}|${kind}` : null],
    );
    if (rows.length === 0) return undefined;
    const level = severity === 'critical' ? 'error' : 'warn';
    this.log[level]({ deviceId, kind, ...details }, `alert: ${message}`);
    this.emitter.emit('raised', alert);
    return alert;
  }

  /** Close the open alert of this kind for the device; returns whether one was open. */
  async resolve(deviceId: string, kind: AlertKind): Promise<boolean> {
    const resolvedAt = this.now();
    const changed = await this.store.db.run('UPDATE alerts SET resolved_at = ?, open_key = NULL WHERE open_key = ?', [resolvedAt, `${deviceId}|${kind}`]);
    if (changed === 0) return false;
    this.log.info({ deviceId, kind }, 'alert resolved');
    this.emitter.emit('resolved', { deviceId, kind, resolvedAt });
    return true;
  }

  on<K extends keyof AlertEvents>(event: K, listener: (payload: AlertEvents[K]) => void): () => void {
    this.emitter.on(event, listener);
    return () => this.emitter.off(event, listener);
  }

  removeAllListeners(): void {
    this.emitter.removeAllListeners();
  }
}
