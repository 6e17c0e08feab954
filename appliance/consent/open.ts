import type { KeyObject } from 'node:crypto';
import { AuditLog } from '../audit/log.js';
import type { Logger } from '../common/logger.js';
import { Gallery } from '../gallery/store.js';
import { Outbox } from '../outbox/outbox.js';
import type { FormParties } from './forms.js';
import { ConsentService } from './service.js';
import { ConsentStore } from './store.js';

export interface OpenConsentOptions {
  stateDir: string;
  deviceId: string;
  siteId: string;
  deviceKey: KeyObject;
  parties: FormParties;
  logger: Logger;
}

export interface OpenedConsent {
  service: ConsentService;
  store: ConsentStore;
  gallery: Gallery;
  close(): Promise<void>;
}

/**
 * Open everything a consent change touches from outside the daemon (CLI, tests): the consent store,
 * the gallery and the audit log in the outbox database. SQLite's busy timeout lets this run while
 * the daemon holds the same files open.
 */
export function openConsent(options: OpenConsentOptions): OpenedConsent {
  const store = ConsentStore.open({ stateDir: options.stateDir, logger: options.logger });
  let gallery: Gallery | undefined;
  let outbox: Outbox | undefined;
  try {
    gallery = Gallery.open({ stateDir: options.stateDir, logger: options.logger });
    outbox = Outbox.open({ stateDir: options.stateDir, deviceId: options.deviceId, logger: options.logger });
    const audit = AuditLog.attach({ outbox, siteId: options.siteId, logger: options.logger });
    const service = new ConsentService({
      store,
      gallery,
      audit,
      deviceKey: options.deviceKey,
      deviceId: options.deviceId,
      siteId: options.siteId,
      parties: options.parties,
      logger: options.logger,
    });
    const opened = { store, gallery, outbox };
    return {
      service,
      store,
      gallery,
      close: async () => {
        await opened.outbox.close();
        opened.gallery.close();
        opened.store.close();
      },
    };
  } catch (error) {
    void outbox?.close();
    gallery?.close();
    store.close();
    throw error;
  }
}
