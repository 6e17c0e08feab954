import path from 'node:path';
import type { AuditLog } from '../audit/log.js';
import type { Logger } from '../common/logger.js';
import type { FacegateConfig } from '../config/load.js';
import { ConsentService } from '../consent/service.js';
import { ConsentStore } from '../consent/store.js';
import type { EventKeys } from '../daemon/event-recorder.js';
import type { Recognition } from '../daemon/recognition.js';
import type { MqttPublisher } from '../mqtt/publisher.js';
import type { Outbox } from '../outbox/outbox.js';
import { pingHandler } from './handlers/ping.js';
import { reloadGalleryHandler } from './handlers/reload-gallery.js';
import { withdrawConsentHandler } from './handlers/withdraw-consent.js';
import { OperatorKeyring } from './operator-keys.js';
import { CommandReceiver } from './receiver.js';
import { CommandRegistry } from './registry.js';

export interface StartCommandsOptions {
  config: FacegateConfig;
  mqtt: MqttPublisher;
  outbox: Outbox;
  audit: AuditLog;
  keys: EventKeys;
  recognition: Pick<Recognition, 'gallery' | 'reload'>;
  firmware: string;
  /** Wire model versions, as the status message carries them. */
  models: Record<string, string>;
  /** `performance.now()` when the daemon started, for the uptime `ping` reports. */
  startedAt: number;
  logger: Logger;
}

export interface RunningCommands {
  receiver: CommandReceiver;
  stop(): Promise<void>;
}

/** Default folder of operator public keys. */
export function operatorKeysDirFor(config: FacegateConfig): string {
  return config.keys.operatorKeysDir ?? path.join(config.stateDir, 'keys', 'operators');
}

/**
 * Load the operator keys, build the handlers and start the command receiver on the daemon's
 * publisher, outbox, audit log and matcher. Throws FacegateError `commands.*` for an unusable key
 * file, so the daemon does not start with a key the operator believes installed but that is ignored.
 */
export async function startCommands(options: StartCommandsOptions): Promise<RunningCommands> {
  const { config, logger } = options;
  const operators = OperatorKeyring.load({
    dir: operatorKeysDirFor(config),
    dirRequired: config.keys.operatorKeysDir !== undefined,
    files: config.keys.operatorKeyFiles ?? [],
  });
  const installed = operators.operators().map((operator) => ({ operator: operator.name, kid: operator.kid }));
  if (installed.length === 0) logger.warn({ dir: operatorKeysDirFor(config) }, 'no operator keys installed: every remote command will be rejected');
  else logger.info({ operators: installed }, 'operator keys loaded');

  const consentStore = ConsentStore.open({ stateDir: config.stateDir, logger });
  const consent = new ConsentService({
    store: consentStore,
    gallery: options.recognition.gallery,
    audit: options.audit,
    deviceKey: options.keys.deviceSigningKey,
    deviceId: config.device.id,
    siteId: config.device.site,
    // Withdrawal renders no form, so the form parties only need to be present here.
    parties: { controller: config.consent.controller ?? '', contact: config.consent.contact ?? '', retentionDays: config.consent.retentionDays },
    logger,
  });
  const reload = () => options.recognition.reload();
  const handlers = new CommandRegistry([
    withdrawConsentHandler({ consent, reload }),
    reloadGalleryHandler(reload),
    pingHandler({ firmware: options.firmware, models: options.models, uptimeS: () => (performance.now() - options.startedAt) / 1000 }),
  ]);

  const receiver = new CommandReceiver({
    mqtt: options.mqtt,
    outbox: options.outbox,
    audit: options.audit,
    keys: options.keys,
    stateDir: config.stateDir,
    operators: operators.resolve,
    handlers,
    skewMs: config.commands.clockSkewS * 1000,
    maxLifetimeMs: config.commands.maxLifetimeS * 1000,
    logger,
  });
  try {
    await receiver.start();
  } catch (error) {
    consentStore.close();
    throw error;
  }
  return {
    receiver,
    stop: async () => {
      await receiver.stop();
      consentStore.close();
    },
  };
}
