import fs from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { AuditLog } from '../../appliance/audit/log.js';
import { FacegateError } from '../../appliance/common/errors.js';
import type { Logger } from '../../appliance/common/logger.js';
import type { FacegateConfig } from '../../appliance/config/load.js';
import { ConsentService } from '../../appliance/consent/service.js';
import { ConsentStore } from '../../appliance/consent/store.js';
import { CredentialStore } from '../../appliance/fallback/credentials.js';
import type { Gallery } from '../../appliance/gallery/store.js';
import type { Outbox } from '../../appliance/outbox/outbox.js';
import { RosterStore } from '../roster/store.js';
import { KioskServer } from './server.js';
import { TechnicianAccounts } from './technicians.js';

export interface RunningKiosk {
  port: number;
  stop(): Promise<void>;
}

/**
 * Start the kiosk from the daemon's configuration and open parts: its outbox (for audit entries),
 * its gallery (so a withdrawal deletes keys in the gallery the matcher reads) and the device key.
 */
export async function startKiosk(options: { config: FacegateConfig; outbox: Outbox; gallery: Gallery; deviceKey: KeyObject; logger: Logger }): Promise<RunningKiosk> {
  const { config, logger } = options;
  const { controller, contact, retentionDays } = config.consent;
  if (controller === undefined || contact === undefined) {
    throw new FacegateError('kiosk.parties_missing', 'kiosk.enabled is true, but consent.controller or consent.contact is not set.', {
      hint: 'Set consent.controller and consent.contact: the consent forms must name the data controller and how to reach it.',
    });
  }
  const store = ConsentStore.open({ stateDir: config.stateDir, logger });
  const credentials = CredentialStore.open({ stateDir: config.stateDir, logger });
  const service = new ConsentService({
    store,
    gallery: options.gallery,
    audit: AuditLog.attach({ outbox: options.outbox, siteId: config.device.site, logger }),
    deviceKey: options.deviceKey,
    deviceId: config.device.id,
    siteId: config.device.site,
    parties: { controller, contact, retentionDays },
    logger,
  });
  const server = new KioskServer({
    host: config.kiosk.host,
    port: config.kiosk.port,
    tls: { cert: fs.readFileSync(config.kiosk.certFile ?? config.mqtt.certFile), key: fs.readFileSync(config.kiosk.keyFile ?? config.mqtt.keyFile) },
    service,
    domicileOf: (subjectId) => {
      const roster = RosterStore.open({ stateDir: config.stateDir, logger });
      try {
        return roster.list().find((worker) => worker.workerId === subjectId)?.domicile;
      } finally {
        roster.close();
      }
    },
    credentials,
    accounts: TechnicianAccounts.forStateDir(config.stateDir),
    deviceId: config.device.id,
    defaultLocale: config.device.locale,
    logger,
  });
  try {
    const { port } = await server.start();
    return {
      port,
      stop: async () => {
        await server.stop();
        credentials.close();
        store.close();
      },
    };
  } catch (error) {
    credentials.close();
    store.close();
    throw error;
  }
}
