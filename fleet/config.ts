import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { FacegateError, errorMessage } from '../appliance/common/errors.js';
import { ID_PATTERN } from '../protocol/topics.js';

/**
 * Configuration of `facegate fleet serve`, one YAML file. Unknown keys are rejected, every problem
 * is listed with its key path, and relative file paths are taken from the folder of the file.
 */

/** Languages of the dashboard. */
export const DASHBOARD_LOCALES = ['zh-Hant', 'en'] as const;

const id = z.string().regex(ID_PATTERN, 'must be 1 to 64 characters from A-Z a-z 0-9 . _ -');
const file = z.string().min(1, 'must name a file');

export const fleetConfigSchema = z.strictObject({
  broker: z.strictObject({
    /** `mqtts://host:port` of the broker (or of one node of a broker cluster). */
    url: z.string().regex(/^mqtts:\/\/[^/@\s]+$/, 'must be mqtts://host[:port] with no user name, password or path'),
    caFile: file,
    certFile: file,
    keyFile: file,
    servername: z.string().min(1).optional(),
    /** MQTT client id; must differ between instances. By default `fleet-<host name>-<process id>`. */
    clientId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1 to 64 characters from A-Z a-z 0-9 . _ -').optional(),
    /** Shared-subscription group: instances in one group split the fleet's messages between them. */
    shareGroup: id.default('facegate-fleet'),
    /** How long the broker keeps this instance's session (and queued messages) after a disconnect. */
    sessionExpirySeconds: z.number().int().min(0).max(7 * 86_400).default(3600),
  }),
  /** Fleet private keys (X25519 or P-256) that device envelopes are encrypted to; more than one during a key rotation. */
  fleetKeys: z.array(file).min(1, 'must list at least one fleet private key file'),
  devices: z
    .array(
      z.strictObject({
        id,
        site: id,
        /** Device Ed25519 public key (PEM or JWK) that signs its events, audit entries and checkpoints. */
        publicKey: file,
        name: z.string().max(100).optional(),
      }),
    )
    .default([]),
  store: z
    .union([
      z.strictObject({ sqlite: file }),
      z.strictObject({ postgres: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// connection string') }),
    ])
    .default({ sqlite: 'fleet.db' }),
  http: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65_535).default(8080),
      /** Language of the dashboard when the browser asks for none we ship. */
      locale: z.enum(DASHBOARD_LOCALES).default('zh-Hant'),
      /** When set, every request needs `Authorization: Bearer <token>` or `?token=<token>`. */
      token: z.string().min(16, 'must be at least 16 characters').optional(),
    })
    .default({ host: '127.0.0.1', port: 8080, locale: 'zh-Hant' }),
  thresholds: z
    .strictObject({
      /** A device that sent nothing for this long is marked offline. */
      telemetryTimeoutSeconds: z.number().int().min(10).max(86_400).default(180),
      /** Outbox depth that raises an alert. */
      outboxBacklog: z.number().int().min(1).default(1000),
      /** How long a missing audit entry may stay missing before the gap raises an alert. */
      chainGapSeconds: z.number().int().min(1).max(86_400).default(120),
    })
    .default({ telemetryTimeoutSeconds: 180, outboxBacklog: 1000, chainGapSeconds: 120 }),
  ingest: z
    .strictObject({
      /** Most messages written in one store transaction. */
      batchSize: z.number().int().min(1).max(5000).default(500),
      /** Longest time a received message waits for its batch to be written. */
      batchDelayMs: z.number().int().min(0).max(1000).default(20),
    })
    .default({ batchSize: 500, batchDelayMs: 20 }),
});

type ParsedFleetConfig = z.infer<typeof fleetConfigSchema>;

/** The validated configuration, with paths resolved and the client id filled in. */
export type FleetConfig = Omit<ParsedFleetConfig, 'broker'> & { broker: ParsedFleetConfig['broker'] & { clientId: string } };
export type FleetConfigInput = z.input<typeof fleetConfigSchema>;

/** Read and validate a fleet configuration file; throws FacegateError `fleet.config_invalid` listing every problem. */
export function loadFleetConfig(configFile: string): FleetConfig {
  let text: string;
  try {
    text = fs.readFileSync(configFile, 'utf8');
  } catch (error) {
    throw new FacegateError('fleet.config_unreadable', `Cannot read the fleet configuration ${configFile}: ${errorMessage(error)}.`, {
      hint: 'Pass --config with the path of the fleet YAML file.',
      params: { file: configFile, detail: errorMessage(error) },
      cause: error,
    });
  }
  const document = parseDocument(text, { uniqueKeys: true });
  if (document.errors.length > 0) {
    throw invalid(configFile, document.errors.map((error) => `YAML: ${error.message.split('\n')[0]}`));
  }
  return parseFleetConfig(document.toJS() ?? {}, configFile);
}

/** Validate configuration data; relative paths are resolved against the folder of `configFile`. */
export function parseFleetConfig(data: unknown, configFile = path.join(process.cwd(), 'fleet.yaml')): FleetConfig {
  const parsed = fleetConfigSchema.safeParse(data);
  if (!parsed.success) {
    throw invalid(
      configFile,
      parsed.error.issues.map((issue) => `${issue.path.length === 0 ? '(file)' : issue.path.join('.')}: ${issue.message}`),
    );
  }
  const config = parsed.data;
  const base = path.dirname(path.resolve(configFile));
  const resolve = (value: string) => path.resolve(base, value);
  const seen = new Set<string>();
  const duplicates = config.devices.filter((device) => (seen.has(device.id) ? true : (seen.add(device.id), false))).map((device) => device.id);
  if (duplicates.length > 0) throw invalid(configFile, duplicates.map((device) => `devices: device ${device} is listed twice`));

  return {
    ...config,
    broker: {
      ...config.broker,
      caFile: resolve(config.broker.caFile),
      certFile: resolve(config.broker.certFile),
      keyFile: resolve(config.broker.keyFile),
      clientId: config.broker.clientId ?? `fleet-${os.hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 40)}-${process.pid}`,
    },
    fleetKeys: config.fleetKeys.map(resolve),
    devices: config.devices.map((device) => ({ ...device, publicKey: resolve(device.publicKey) })),
    store: 'sqlite' in config.store ? { sqlite: resolve(config.store.sqlite) } : config.store,
  };
}

function invalid(configFile: string, problems: string[]): FacegateError {
  const list = problems.map((problem) => `  - ${problem}`).join('\n');
  return new FacegateError('fleet.config_invalid', `The fleet configuration ${configFile} has ${problems.length} problem(s):\n${list}`, {
    hint: 'Fix each key listed above; docs/fleet.md describes every key and its default.',
    params: { file: configFile, count: problems.length, problems: list },
  });
}
