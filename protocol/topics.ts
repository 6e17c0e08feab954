import { FacegateError } from '../appliance/common/errors.js';

/**
 * MQTT topics of wire protocol version 1. Every topic the appliance or the fleet uses is built and
 * parsed here, so a wildcard or a stray `/` in a configured id can never reach a publish call.
 *
 *   facegate/v1/<site>/<device>/status | telemetry | events | audit | cmd/<name> | cmd-result
 */

export const TOPIC_ROOT = 'facegate/v1';

/** Site, device and command ids: 1 to 64 characters from `[A-Za-z0-9._-]`, except "." and ".." (ids also name files). */
export const ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** Channels with a fixed name under a device's prefix. */
export const CHANNELS = ['status', 'telemetry', 'events', 'audit', 'cmd-result'] as const;
export type Channel = (typeof CHANNELS)[number];

export type TopicParts =
  | { siteId: string; deviceId: string; channel: Channel }
  | { siteId: string; deviceId: string; channel: 'cmd'; command: string };

export type IdKind = 'site id' | 'device id' | 'command name';

/** Return why `value` is not a valid id, or undefined when it is valid. */
export function idProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return `must be a string, got ${typeof value}`;
  if (value.length === 0) return 'is empty';
  if (value.length > 64) return `is ${value.length} characters long, the maximum is 64`;
  if (value === '.' || value === '..') return 'may not be "." or ".."';
  if (ID_PATTERN.test(value)) return undefined;

  const bad = [...value].find((ch) => !/[A-Za-z0-9._-]/.test(ch)) ?? '';
  const shown = /[\u0000-\u001f\u007f]/.test(bad) ? `control character U+${bad.codePointAt(0)!.toString(16).padStart(4, '0')}` : `"${bad}"`;
  if (bad === '+' || bad === '#') return `contains the MQTT wildcard ${shown}`;
  if (bad === '/') return 'contains the topic separator "/"';
  return `contains ${shown}; only letters, digits, ".", "_" and "-" are allowed`;
}

export function isValidId(value: unknown): value is string {
  return idProblem(value) === undefined;
}

/** Throw a FacegateError naming the value unless it is a valid site id, device id or command name. */
export function assertValidId(value: unknown, kind: IdKind): asserts value is string {
  const problem = idProblem(value);
  if (problem === undefined) return;
  throw new FacegateError('TOPIC_INVALID_ID', `Invalid ${kind} ${JSON.stringify(value)}: it ${problem}.`, {
    hint: `Use 1 to 64 characters from A-Z, a-z, 0-9, ".", "_" and "-" for the ${kind}.`,
    params: { kind, value: String(value) },
  });
}

/** Prefix `facegate/v1/<site>/<device>` after checking both ids. */
export function devicePrefix(siteId: string, deviceId: string): string {
  assertValidId(siteId, 'site id');
  assertValidId(deviceId, 'device id');
  return `${TOPIC_ROOT}/${siteId}/${deviceId}`;
}

export function channelTopic(siteId: string, deviceId: string, channel: Channel): string {
  if (!(CHANNELS as readonly string[]).includes(channel)) {
    throw new FacegateError('TOPIC_INVALID_CHANNEL', `Unknown channel ${JSON.stringify(channel)}.`, {
      hint: `Use one of ${CHANNELS.join(', ')}, or commandTopic() for cmd/<name>.`,
    });
  }
  return `${devicePrefix(siteId, deviceId)}/${channel}`;
}

export function commandTopic(siteId: string, deviceId: string, command: string): string {
  assertValidId(command, 'command name');
  return `${devicePrefix(siteId, deviceId)}/cmd/${command}`;
}

/** All topics of one device, built once from its ids. */
export interface DeviceTopics {
  readonly siteId: string;
  readonly deviceId: string;
  readonly prefix: string;
  readonly status: string;
  readonly telemetry: string;
  readonly events: string;
  readonly audit: string;
  readonly cmdResult: string;
  /** Subscription filter for every command addressed to this device. */
  readonly commandFilter: string;
  command(name: string): string;
}

export function deviceTopics(siteId: string, deviceId: string): DeviceTopics {
  const prefix = devicePrefix(siteId, deviceId);
  return {
    siteId,
    deviceId,
    prefix,
    status: `${prefix}/status`,
    telemetry: `${prefix}/telemetry`,
    events: `${prefix}/events`,
    audit: `${prefix}/audit`,
    cmdResult: `${prefix}/cmd-result`,
    commandFilter: `${prefix}/cmd/#`,
    command: (name) => commandTopic(siteId, deviceId, name),
  };
}

/** Subscription filter for one channel of every device, or of every device at one site. */
export function fleetFilter(channel: Channel | 'cmd/#' | '#', siteId?: string): string {
  if (siteId !== undefined) assertValidId(siteId, 'site id');
  const site = siteId ?? '+';
  const device = channel === '#' ? '#' : `+/${channel}`;
  return `${TOPIC_ROOT}/${site}/${device}`;
}

/** Split a concrete topic into its parts, or return undefined when it is not a v1 facegate topic. */
export function parseTopic(topic: string): TopicParts | undefined {
  const parts = topic.split('/');
  if (parts.length < 5 || parts[0] !== 'facegate' || parts[1] !== 'v1') return undefined;
  const [, , siteId, deviceId, channel, command, ...rest] = parts;
  if (!isValidId(siteId) || !isValidId(deviceId) || rest.length > 0) return undefined;

  if (channel === 'cmd') {
    return isValidId(command) ? { siteId, deviceId, channel: 'cmd', command } : undefined;
  }
  if (command !== undefined) return undefined;
  if (!(CHANNELS as readonly string[]).includes(channel!)) return undefined;
  return { siteId, deviceId, channel: channel as Channel };
}

/** Like parseTopic, but throw a FacegateError that names the topic. */
export function parseTopicOrThrow(topic: string): TopicParts {
  const parts = parseTopic(topic);
  if (parts !== undefined) return parts;
  throw new FacegateError('TOPIC_INVALID', `Topic ${JSON.stringify(topic)} is not a facegate v1 topic.`, {
    hint: `Expected ${TOPIC_ROOT}/<site>/<device>/{${CHANNELS.join(',')},cmd/<name>}.`,
    params: { topic },
  });
}
