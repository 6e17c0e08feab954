import fs from 'node:fs';
import type { KeyObject } from 'node:crypto';
import type { AuditLog } from '../../appliance/audit/log.js';
import type { CameraSource } from '../../appliance/camera/types.js';
import { FacegateError } from '../../appliance/common/errors.js';
import type { Logger } from '../../appliance/common/logger.js';
import type { FacegateConfig } from '../../appliance/config/load.js';
import { ConsentService } from '../../appliance/consent/service.js';
import { ConsentStore } from '../../appliance/consent/store.js';
import type { FrameAnalyser } from '../../appliance/daemon/frame-loop.js';
import { EnrolmentDesk } from '../../appliance/enrolment/desk.js';
import type { GateHold } from '../../appliance/enrolment/gate-hold.js';
import { CredentialStore } from '../../appliance/fallback/credentials.js';
import type { Calibration } from '../../appliance/gallery/calibration.js';
import type { Matcher } from '../../appliance/gallery/matcher.js';
import type { Gallery } from '../../appliance/gallery/store.js';
import { RosterStore } from '../roster/store.js';
import { KioskServer } from './server.js';
import { TechnicianAccounts } from './technicians.js';

export interface RunningKiosk {
  port: number;
  stop(): Promise<void>;
}

/** Minimum time the frames of one face capture span, so they are not one instant of the video. */
export const CAPTURE_MIN_SPAN_MS = 1_000;

/** The daemon's parts a face capture uses. */
export interface KioskCameraAccess {
  camera: Pick<CameraSource, 'on'>;
  analyser: FrameAnalyser;
  /** The gate's current matcher and its calibrated threshold. */
  matcher: () => Matcher;
  threshold: () => number;
  calibration: Calibration;
  featureModel: string;
  /** Reload the gallery into the gate's matcher and audit it, as SIGHUP does. */
  reload: () => void;
  hold: GateHold;
}

/**
 * Start the kiosk from the daemon's configuration and open parts: its audit log, its gallery, the
 * device key, and the camera and vision worker for face capture. Sharing the gallery means a
 * withdrawal deletes keys in the gallery the matcher reads, and an enrolment adds to it.
 */
export async function startKiosk(options: {
  config: FacegateConfig;
  audit: AuditLog;
  gallery: Gallery;
  deviceKey: KeyObject;
  capture?: KioskCameraAccess;
  logger: Logger;
}): Promise<RunningKiosk> {
  const { config, logger, audit } = options;
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
    audit,
    deviceKey: options.deviceKey,
    deviceId: config.device.id,
    siteId: config.device.site,
    parties: { controller, contact, retentionDays },
    logger,
  });
  const capture = options.capture;
  const desk =
    capture === undefined
      ? undefined
      : new EnrolmentDesk({
          camera: capture.camera,
          analyser: capture.analyser,
          gallery: options.gallery,
          consents: store,
          matcher: capture.matcher,
          threshold: capture.threshold,
          featureModel: capture.featureModel,
          reload: capture.reload,
          hold: capture.hold,
          audit,
          capture: {
            framesRequired: config.kiosk.captureFrames,
            minSpanMs: CAPTURE_MIN_SPAN_MS,
            timeoutMs: config.kiosk.captureTimeoutS * 1000,
            livenessThreshold: config.vision.livenessThreshold,
            // Two frames of one person must agree as a 1:1 comparison at the gate's false-match target.
            sameFaceThreshold: capture.calibration.thresholdFor(1, config.matching.targetFpir).threshold,
          },
          logger,
        });
  const server = new KioskServer({
    host: config.kiosk.host,
    port: config.kiosk.port,
    tls: { cert: fs.readFileSync(config.kiosk.certFile ?? config.mqtt.certFile), key: fs.readFileSync(config.kiosk.keyFile ?? config.mqtt.keyFile) },
    service,
    consents: store,
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
    audit,
    ...(desk === undefined ? {} : { enrolment: desk }),
    ...(config.kiosk.publicUrl === undefined ? {} : { publicUrl: config.kiosk.publicUrl }),
    deviceId: config.device.id,
    defaultLocale: config.device.locale,
    logger,
  });
  const closeStores = (): void => {
    credentials.close();
    store.close();
  };
  try {
    const { port } = await server.start();
    return {
      port,
      stop: async () => {
        await server.stop();
        await desk?.stop();
        closeStores();
      },
    };
  } catch (error) {
    await desk?.stop();
    closeStores();
    throw error;
  }
}
