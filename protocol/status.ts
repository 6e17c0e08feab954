import { z } from 'zod';
import { SCHEMA_VERSION, deviceId, firmwareVersion, macauTime, modelVersions, siteId } from './fields.js';

/**
 * The retained `status` message. The device publishes `online` after each CONNACK and `offline`
 * when it stops. The broker publishes the Last Will copy (`reason: connection-lost`) when the
 * connection drops without a DISCONNECT. The will is fixed at connect time, so its `since` is null.
 */

export const STATUS_REASONS = ['connected', 'stopped', 'connection-lost'] as const;

export const deviceStatus = z.strictObject({
  v: z.literal(SCHEMA_VERSION),
  deviceId,
  siteId,
  state: z.enum(['online', 'offline']),
  firmware: firmwareVersion,
  models: modelVersions,
  /** When this state began, or null when the broker sends it as the Last Will. */
  since: macauTime.nullable(),
  reason: z.enum(STATUS_REASONS),
});

export type DeviceStatus = z.infer<typeof deviceStatus>;
export type StatusReason = (typeof STATUS_REASONS)[number];
