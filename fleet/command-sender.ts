import { randomBytes, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import { connectAsync, type MqttClient } from 'mqtt';
import { errorMessage } from '../appliance/common/errors.js';
import type { Logger } from '../appliance/common/logger.js';
import { signCommand, type CommandPayload } from '../protocol/command.js';
import { openCommandResult, type CommandResult } from '../protocol/command-result.js';
import { commandTopic, deviceTopics } from '../protocol/topics.js';
import { uuidv7 } from '../protocol/uuidv7.js';
import { formatMacauTime, parseMacauTime } from '../protocol/wall-time.js';
import type { FleetConfig } from './config.js';
import { commandError } from './cli/command-messages.js';
import type { DeviceRegistry, FleetKeyring } from './registry.js';

/**
 * The operator's side of a remote command: build and sign it, publish it at QoS 1 over the
 * fleet's mutual-TLS connection, and optionally wait for the device's sealed `cmd-result`,
 * verified against the device key in the fleet registry.
 */

export interface IssueRequest {
  siteId: string;
  deviceId: string;
  name: string;
  args: Record<string, string>;
  operator: string;
  operatorKey: KeyObject;
  /** Milliseconds from now until the command expires. */
  lifetimeMs: number;
  /** Unix milliseconds; `Date.now()` by default. */
  now?: number;
}

export interface IssuedCommand {
  payload: CommandPayload;
  token: string;
  topic: string;
}

/** Build a command with a fresh UUIDv7 and a 128-bit nonce, and sign it. Throws CommandRejectedError for a payload the schema rejects. */
export async function issueCommand(request: IssueRequest): Promise<IssuedCommand> {
  const now = request.now ?? Date.now();
  const payload: CommandPayload = {
    v: 1,
    commandId: uuidv7(),
    name: request.name,
    siteId: request.siteId,
    deviceId: request.deviceId,
    issuedAt: formatMacauTime(now),
    expiresAt: formatMacauTime(now + request.lifetimeMs),
    nonce: randomBytes(16).toString('base64url'),
    operator: request.operator,
    args: request.args,
  };
  const token = await signCommand(payload, request.operatorKey);
  return { payload, token, topic: commandTopic(request.siteId, request.deviceId, request.name) };
}

export interface SendOptions {
  broker: FleetConfig['broker'];
  registry: DeviceRegistry;
  keyring: FleetKeyring;
  logger: Logger;
  /** How long to wait for the result; no waiting when undefined. */
  waitMs?: number;
  /** Called once the broker has acknowledged the command, before the wait. */
  onPublished?: () => void;
  connectTimeoutMs?: number;
}

/**
 * Publish a command and, with `waitMs`, resolve with its verified result, or undefined when none
 * arrived in time. Throws FacegateError `fleet.command.*` when the broker cannot be reached or
 * rejects the subscription or the publish.
 */
export async function sendCommand(command: IssuedCommand, options: SendOptions): Promise<CommandResult | undefined> {
  const { broker } = options;
  let client: MqttClient;
  try {
    client = await connectAsync(broker.url, {
      protocolVersion: 5,
      clientId: `fleet-cmd-${randomBytes(6).toString('hex')}`,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: options.connectTimeoutMs ?? 10_000,
      rejectUnauthorized: true,
      ca: fs.readFileSync(broker.caFile),
      cert: fs.readFileSync(broker.certFile),
      key: fs.readFileSync(broker.keyFile),
      ...(broker.servername === undefined ? {} : { servername: broker.servername }),
    });
  } catch (error) {
    throw commandError('fleet.command.connect_failed', { url: broker.url, detail: errorMessage(error) }, error);
  }
  client.on('error', (error) => options.logger.debug({ err: error }, 'broker connection error'));

  try {
    const resultTopic = deviceTopics(command.payload.siteId, command.payload.deviceId).cmdResult;
    const waiting = options.waitMs === undefined ? undefined : await watchForResult(client, resultTopic, command.payload.commandId, options);
    await publish(client, command);
    options.logger.debug({ commandId: command.payload.commandId, topic: command.topic }, 'command published');
    options.onPublished?.();
    return waiting === undefined ? undefined : await waiting(options.waitMs!);
  } finally {
    await client.endAsync(false).catch(() => client.end(true));
  }
}

async function publish(client: MqttClient, command: IssuedCommand): Promise<void> {
  const expiresInS = Math.max(1, Math.ceil((parseMacauTime(command.payload.expiresAt)! - Date.now()) / 1000));
  let reasonCode: number | undefined;
  try {
    // The message expiry lets a broker that queues it for a persistent session drop it once the command has expired.
    const packet = await client.publishAsync(command.topic, command.token, { qos: 1, properties: { contentType: 'application/jose', messageExpiryInterval: expiresInS } });
    reasonCode = (packet as { reasonCode?: number } | undefined)?.reasonCode;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'number') throw commandError('fleet.command.publish_failed', { topic: command.topic, detail: errorMessage(error) }, error);
    reasonCode = code;
  }
  if (reasonCode !== undefined && reasonCode >= 0x80) {
    throw commandError('fleet.command.publish_rejected', { topic: command.topic, detail: `reason code 0x${reasonCode.toString(16)}` });
  }
}

/** Subscribe to the device's results and return a function that waits for the result of `commandId`. */
async function watchForResult(client: MqttClient, topic: string, commandId: string, options: SendOptions): Promise<(timeoutMs: number) => Promise<CommandResult | undefined>> {
  let found: CommandResult | undefined;
  let notify: (() => void) | undefined;
  client.on('message', (messageTopic, payload) => {
    if (messageTopic !== topic || found !== undefined) return;
    openCommandResult(payload.toString('utf8'), { fleetPrivateKey: options.keyring.resolve, resolveDeviceKey: options.registry.resolve, topic: messageTopic }).then(
      (opened) => {
        if (opened.payload.commandId !== commandId || found !== undefined) return;
        found = opened.payload;
        notify?.();
      },
      (error: unknown) => options.logger.warn({ err: error, topic: messageTopic }, `a result on ${messageTopic} did not verify: ${errorMessage(error)}`),
    );
  });
  const granted = await client.subscribeAsync(topic, { qos: 1 });
  if (granted.some((grant) => grant.qos >= 0x80)) throw commandError('fleet.command.subscribe_rejected', { topic });

  return (timeoutMs) =>
    new Promise((resolve) => {
      if (found !== undefined) return resolve(found);
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      notify = () => {
        clearTimeout(timer);
        resolve(found);
      };
    });
}

/** Throw `fleet.command.device_unknown` unless the fleet configuration lists the device at this site, because its result could not be verified. */
export function assertRegisteredDevice(registry: DeviceRegistry, siteId: string, deviceId: string, configFile: string): void {
  const device = registry.device(deviceId);
  if (device === undefined || device.siteId !== siteId) throw commandError('fleet.command.device_unknown', { device: deviceId, site: siteId, file: configFile });
}

