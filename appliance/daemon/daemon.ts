import { AuditLog, AuditShipper } from '../audit/index.js';
import { createCameraSource } from '../camera/index.js';
import type { CameraSource } from '../camera/types.js';
import { FacegateError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { FacegateConfig } from '../config/load.js';
import { GateDecider } from '../decision/decider.js';
import { DoorController } from '../door/door-controller.js';
import { createGpioBackend } from '../gpio/factory.js';
import { SimulatedGpio } from '../gpio/simulated.js';
import type { GpioBackend } from '../gpio/types.js';
import { readClientIdentity } from '../mqtt/identity.js';
import { MqttPublisher } from '../mqtt/publisher.js';
import { TypedEvents } from '../mqtt/typed-events.js';
import { Outbox } from '../outbox/outbox.js';
import { SystemdNotifier, WatchdogPinger } from '../systemd/notify.js';
import { ClockSyncMonitor, type ClockSyncReaderOptions } from '../telemetry/clock-sync.js';
import { LatencyWindow } from '../telemetry/latency-window.js';
import { TelemetryReporter } from '../telemetry/reporter.js';
import { VisionWorker } from '../vision/client.js';
import { GateAudit, fileSha256 } from './audit-trail.js';
import { EventRecorder, loadEventKeys, wireModelVersions, type RecordRequest } from './event-recorder.js';
import type { DaemonEvents } from './events.js';
import { FrameLoop } from './frame-loop.js';
import { GateActions } from './gate.js';
import { doorOptionsFrom, gpioConfigFrom, lineSpecFrom, pipelineSettingsFrom } from './hardware.js';
import { Lifecycle } from './lifecycle.js';
import { openRecognition, type Recognition } from './recognition.js';
import { WithdrawalWatcher } from '../consent/watcher.js';
import { RetentionPurger } from '../retention/purge.js';
import { startKiosk } from '../../provisioning/kiosk/start.js';
import { GateHold } from '../enrolment/gate-hold.js';
import { FallbackAuthenticator } from '../fallback/authenticator.js';
import { CredentialStore } from '../fallback/credentials.js';
import { FallbackGate } from '../fallback/gate.js';
import { startCommands } from '../commands/start.js';

export const FIRMWARE_VERSION = '0.1.0';

export interface DaemonOptions {
  config: FacegateConfig;
  logger: Logger;
  /** Environment with NOTIFY_SOCKET and WATCHDOG_USEC; process.env by default. */
  env?: NodeJS.ProcessEnv;
  firmware?: string;
  /** Sources of the clock-sync state; tests point them at stand-ins. */
  clockSync?: ClockSyncReaderOptions;
  /** Faces analysed per frame; 1 (the largest, the person at the gate) by default. */
  maxFaces?: number;
  /** Maximum time stop() gives the publisher to deliver the outbox; 10 s by default. */
  flushTimeoutMs?: number;
  /** The configuration file, whose SHA-256 the `config.load` audit entry records. */
  configFile?: string;
}

/** How often the daemon looks for a vision worker replaced after a hung analysis. */
const VISION_RESTART_POLL_MS = 2_000;

const PRUNE_INTERVAL_MS = 3_600_000;

/**
 * The composition root: builds every module from the configuration, starts them in named steps
 * and stops them in reverse order. See docs/daemon.md for the steps, READY and the frame loop.
 */
export class Daemon {
  readonly events: TypedEvents<DaemonEvents>;
  private readonly lifecycle: Lifecycle;
  private readonly log: Logger;
  private readonly notifier: SystemdNotifier;
  private readonly startedAt = performance.now();
  private parts: Partial<{
    gpio: GpioBackend;
    door: DoorController;
    outbox: Outbox;
    publisher: MqttPublisher;
    audit: GateAudit;
    camera: CameraSource;
    gate: GateActions;
    loop: FrameLoop;
  }> = {};
  private recognition: Recognition | undefined;
  private stopping: Promise<void> | undefined;
  private ready = false;
  private stepsDone = false;
  private firstFrameSeen = false;

  private constructor(private readonly options: DaemonOptions) {
    this.log = options.logger;
    this.events = new TypedEvents(this.log, 'daemon');
    this.notifier = new SystemdNotifier({ logger: this.log, env: options.env ?? process.env });
    this.lifecycle = new Lifecycle(this.log, (step) => this.notifier.status(`starting: ${step}`));
  }

  /** Start every module; on failure everything started so far is stopped and the error is thrown. */
  static async start(options: DaemonOptions): Promise<Daemon> {
    const daemon = new Daemon(options);
    try {
      await daemon.startSteps();
    } catch (error) {
      daemon.notifier.close();
      throw error;
    }
    return daemon;
  }

  get gpio(): GpioBackend {
    return this.require('gpio');
  }

  get door(): DoorController {
    return this.require('door');
  }

  get outbox(): Outbox {
    return this.require('outbox');
  }

  get publisher(): MqttPublisher {
    return this.require('publisher');
  }

  get camera(): CameraSource {
    return this.require('camera');
  }

  get isReady(): boolean {
    return this.ready;
  }

  /** The device audit log. */
  get audit(): AuditLog {
    return this.require('audit').log;
  }

  /** Reload the gallery into the matcher (SIGHUP, `systemctl reload facegate`); the audit log records the result. */
  reloadGallery(): { templates: number; subjects: number; rejected: number } {
    if (this.recognition === undefined) throw new Error('the daemon has not opened its gallery yet');
    try {
      const result = this.recognition.reload();
      this.parts.audit?.galleryReload(result);
      return result;
    } catch (error) {
      this.parts.audit?.galleryReload({ error: error instanceof Error ? error.message : String(error) });
      throw error;
    }
  }

  /** Seal and commit an event through the same path as the gate's decisions. */
  recordEvent(request: RecordRequest): Promise<void> {
    return this.require('gate').record(request);
  }

  /** Wait until every decision so far has committed its event. */
  settled(): Promise<void> {
    return this.require('gate').settled();
  }

  /**
   * Stop in reverse start order: the frame loop, the camera, the audit shipper (recording
   * `service.stop` and queueing a last checkpoint), the publisher (delivering what it can), the
   * door, the outbox, the worker.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.log.info('daemon stopping');
      this.notifier.stopping('stopping');
      await this.lifecycle.stopAll();
      this.events.removeAll();
      this.notifier.close();
      this.log.info({ uptimeS: Math.round((performance.now() - this.startedAt) / 1000) }, 'daemon stopped');
    })();
    return this.stopping;
  }

  private async startSteps(): Promise<void> {
    const { config } = this.options;
    const log = this.log;
    const step = this.lifecycle.step.bind(this.lifecycle);

    const keys = await step('keys', () => {
      const loaded = loadEventKeys(config.keys);
      const identity = readClientIdentity(config.mqtt.certFile);
      if (identity.commonName !== config.device.id) {
        throw new FacegateError(
          'daemon.device_id_mismatch',
          `The device certificate ${config.mqtt.certFile} has CN ${identity.commonName}, but device.id is ${config.device.id}.`,
          {
            hint: 'The certificate CN is the MQTT client id and the device id in every topic; make device.id match it, or install the certificate issued for this device.',
            params: { certFile: config.mqtt.certFile, commonName: identity.commonName, deviceId: config.device.id },
          },
        );
      }
      log.info({ deviceKid: loaded.deviceKid, fleetKid: loaded.fleetKid }, 'event keys loaded');
      return loaded;
    });

    const clock = await step(
      'clock sync',
      async () => {
        const monitor = new ClockSyncMonitor({ ...this.options.clockSync, logger: log.child({ module: 'clock' }) });
        await monitor.start();
        return monitor;
      },
      (monitor) => monitor.stop(),
    );

    const recognition = await step('gallery, matcher and calibration', () => openRecognition(config, log), (opened) => opened.close());
    this.recognition = recognition;

    await step(
      'consent withdrawals',
      () => {
        const watcher = new WithdrawalWatcher({
          stateDir: config.stateDir,
          gallery: recognition.gallery,
          reload: () => recognition.reload(),
          intervalMs: config.consent.withdrawalCheckS * 1000,
          logger: log,
          // The audit log opens in a later step, so the watcher reads it at each check.
          audit: () => this.parts.audit?.log,
        });
        watcher.start();
        return watcher;
      },
      (watcher) => watcher.stop(),
    );

    await step(
      'retention purge',
      () => {
        const purger = new RetentionPurger({ stateDir: config.stateDir, gallery: recognition.gallery, reload: () => recognition.reload(), logger: log });
        purger.start();
        return purger;
      },
      (purger) => purger.stop(),
    );

    const worker = await step(
      'vision worker (warm-up)',
      async () => {
        const vision = new VisionWorker(pipelineSettingsFrom(config), log.child({ module: 'vision' }));
        try {
          await vision.start();
        } catch (error) {
          await vision.stop();
          throw error;
        }
        if (config.vision.workerThreads > 1) {
          // NOTE: frames go through one worker in order; more would need reordering before the tracker.
          log.warn({ workerThreads: config.vision.workerThreads }, 'vision.workerThreads above 1 is not used yet; running one worker');
        }
        return vision;
      },
      (vision) => vision.stop(),
    );
    const models = wireModelVersions(worker.versions);

    const outbox = await step(
      'outbox',
      () => Outbox.open({ stateDir: config.stateDir, deviceId: config.device.id, logger: log, maxUndelivered: config.outbox.maxPending }),
      (opened) => opened.close(),
    );
    this.parts.outbox = outbox;

    await step(
      'door and GPIO',
      async () => {
        const gpio = createGpioBackend(gpioConfigFrom(config.door), { logger: log });
        await gpio.start();
        const door = new DoorController({ gpio, logger: log.child({ module: 'door' }), ...doorOptionsFrom(config.door) });
        try {
          await door.start();
        } catch (error) {
          await gpio.stop();
          throw error;
        }
        this.parts.gpio = gpio;
        this.parts.door = door;
        return { gpio, door };
      },
      async ({ gpio, door }) => {
        await door.stop();
        await gpio.stop();
        if (gpio instanceof SimulatedGpio) {
          // Nothing else shows what a simulated door did, so the transitions go to the log.
          log.info({ transitions: gpio.formatLog().split('\n') }, 'simulated GPIO transitions');
        }
      },
    );

    const publisher = await step(
      'publisher',
      () => {
        const mqtt = new MqttPublisher({
          url: config.mqtt.url,
          tls: { caFile: config.mqtt.caFile, certFile: config.mqtt.certFile, keyFile: config.mqtt.keyFile },
          siteId: config.device.site,
          outbox,
          logger: log,
          firmware: this.options.firmware ?? FIRMWARE_VERSION,
          models,
          rateLimit: { messagesPerSecond: config.mqtt.drainRatePerS },
          backoff: { baseMs: config.mqtt.backoffMinMs, maxMs: config.mqtt.backoffMaxMs },
          keepaliveSeconds: config.mqtt.keepaliveS,
          sessionExpirySeconds: config.mqtt.sessionExpiryS,
        });
        mqtt.start();
        this.parts.publisher = mqtt;
        return mqtt;
      },
      async (mqtt) => {
        const report = await mqtt.stop({ timeoutMs: this.options.flushTimeoutMs ?? 10_000 });
        const level = report.drained ? 'info' : 'warn';
        log[level]({ ...report }, report.drained ? 'outbox flushed to the broker' : 'outbox not fully delivered; the rest is sent at the next start');
      },
    );

    const gateAudit = await step(
      'audit log and shipper',
      () => {
        const audit = AuditLog.attach({ outbox, siteId: config.device.site, logger: log, clock: () => clock.current() });
        const shipper = new AuditShipper({ audit, outbox, logger: log, ...keys });
        const trail = new GateAudit(audit, log.child({ module: 'audit' }));
        const configFile = this.options.configFile ?? null;
        trail.serviceStart({ firmware: this.options.firmware ?? FIRMWARE_VERSION, configFile, configSha256: configFile === null ? null : fileSha256(configFile) });
        const removeOverflow = outbox.onOverflow((alarm) => trail.outboxOverflow(alarm));
        let restartsSeen = worker.restarts;
        const visionPoll = setInterval(() => {
          if (worker.restarts === restartsSeen) return;
          restartsSeen = worker.restarts;
          trail.visionRestart(restartsSeen);
        }, VISION_RESTART_POLL_MS);
        visionPoll.unref();
        // Started after the publisher, so it stops first and its last checkpoint is queued before the flush.
        shipper.start();
        this.parts.audit = trail;
        return { trail, shipper, removeOverflow, visionPoll };
      },
      async ({ trail, shipper, removeOverflow, visionPoll }) => {
        clearInterval(visionPoll);
        removeOverflow();
        trail.serviceStop(Math.round((performance.now() - this.startedAt) / 1000));
        await shipper.stop();
      },
    );

    await step(
      'remote commands',
      () =>
        startCommands({
          config,
          mqtt: publisher,
          outbox,
          audit: gateAudit.trail.log,
          keys,
          recognition,
          firmware: this.options.firmware ?? FIRMWARE_VERSION,
          models,
          startedAt: this.startedAt,
          logger: log,
        }),
      (commands) => commands.stop(),
    );

    const camera = await step(
      'camera',
      async () => {
        const source = createCameraSource(config.camera, { logger: log });
        const removeListener = source.on('frame', () => {
          removeListener();
          this.firstFrameSeen = true;
          this.markReadyWhenDue();
        });
        await source.start();
        this.parts.camera = source;
        return source;
      },
      (source) => source.stop(),
    );

    const latencies = new LatencyWindow();
    // The kiosk pauses face decisions through this while it enrols someone in front of the camera.
    const enrolmentHold = new GateHold({ logger: log.child({ module: 'enrolment' }) });
    const loop = await step(
      'frame loop',
      () => {
        const gate = new GateActions({
          door: this.door,
          recorder: new EventRecorder({
            outbox,
            keys,
            deviceId: config.device.id,
            siteId: config.device.site,
            direction: config.device.direction,
            models,
            clock: () => clock.current(),
            logger: log,
            audit: gateAudit.trail.log,
          }),
          outbox,
          publisher,
          pseudonymFor: (subjectId) => recognition.gallery.pseudonymFor(subjectId),
          latencies,
          events: this.events,
          logger: log.child({ module: 'gate' }),
          audit: gateAudit.trail,
        });
        gate.start();
        const decider = new GateDecider({
          settings: {
            votesRequired: config.decision.votesRequired,
            trackTimeoutMs: config.decision.trackTimeoutMs,
            maxTrackAgeMs: config.decision.maxTrackAgeMs,
            debounceMs: config.decision.debounceMs,
            livenessThreshold: config.vision.livenessThreshold,
            direction: config.device.direction,
          },
          logger: log,
          describeSubject: (subjectId) => recognition.gallery.pseudonymFor(subjectId),
        });
        const frameLoop = new FrameLoop({
          camera,
          analyser: worker,
          identifier: recognition.identifier,
          decider,
          latencies,
          logger: log.child({ module: 'frame-loop' }),
          onDecision: enrolmentHold.guard((decision, frame) => gate.handle(decision, frame)),
          paused: () => enrolmentHold.held,
          onAnalysed: (info) => this.events.emit('analysed', info),
          onInputEnded: () => this.events.emit('input-ended', {}),
          maxFaces: this.options.maxFaces ?? 1,
        });
        frameLoop.start();
        this.parts.gate = gate;
        this.parts.loop = frameLoop;
        return { frameLoop, gate };
      },
      async ({ frameLoop, gate }) => {
        await frameLoop.stop();
        await gate.stop();
      },
    );

    if (config.kiosk.enabled) {
      // After the frame loop, so the kiosk's face capture has the camera, the vision worker and the
      // gate's hold, and stops before them.
      await step(
        'enrolment kiosk',
        () =>
          startKiosk({
            config,
            audit: gateAudit.trail.log,
            gallery: recognition.gallery,
            deviceKey: keys.deviceSigningKey,
            capture: {
              camera,
              analyser: worker,
              matcher: () => recognition.matcher,
              threshold: () => recognition.identifier.threshold(),
              calibration: recognition.calibration,
              featureModel: recognition.featureModel,
              reload: () => this.reloadGallery(),
              hold: enrolmentHold,
            },
            logger: log,
          }),
        (kiosk) => kiosk.stop(),
      );
    }

    const { keypadDevice, badgeDevice, wiegand } = config.fallback;
    if (keypadDevice !== undefined || badgeDevice !== undefined || wiegand !== undefined) {
      await step(
        'PIN and badge readers',
        async () => {
          const credentials = CredentialStore.open({ stateDir: config.stateDir, logger: log });
          const fallback = new FallbackGate({
            authenticator: new FallbackAuthenticator(credentials),
            door: this.door,
            gpio: this.gpio,
            record: (request) => this.recordEvent(request),
            pseudonymFor: (subjectId) => recognition.gallery.pseudonymFor(subjectId),
            logger: log,
            ...(keypadDevice === undefined ? {} : { keypadDevice }),
            ...(badgeDevice === undefined ? {} : { badgeDevice }),
            ...(wiegand === undefined ? {} : { wiegand: { d0: lineSpecFrom(wiegand.d0, undefined), d1: lineSpecFrom(wiegand.d1, undefined) } }),
          });
          await fallback.start();
          return { fallback, credentials };
        },
        async ({ fallback, credentials }) => {
          await fallback.stop();
          credentials.close();
        },
      );
    }

    await step(
      'health and watchdog',
      () => {
        const watchdog = new WatchdogPinger({ notifier: this.notifier, logger: log, ...(this.options.env === undefined ? {} : { env: this.options.env }) });
        watchdog.start();
        const telemetry = new TelemetryReporter({
          intervalMs: config.mqtt.telemetryIntervalS * 1000,
          logger: log.child({ module: 'telemetry' }),
          publish: (sample) => publisher.publishTelemetry(sample),
          startedAtMs: this.startedAt,
          sources: {
            takeFramesAnalysed: () => loop.frameLoop.takeAnalysedCount(),
            latencies,
            outboxDepth: () => outbox.depth(),
            skippedFrames: () => camera.stats().framesSkipped,
            clock: () => clock.current(),
            stateDir: config.stateDir,
            certificateFile: config.mqtt.certFile,
          },
        });
        telemetry.start();
        const pruneAfterMs = config.outbox.pruneDeliveredAfterH * 3_600_000;
        outbox.prune(pruneAfterMs);
        const pruner = setInterval(() => {
          try {
            outbox.prune(pruneAfterMs);
          } catch (error) {
            log.error({ err: error }, 'pruning delivered outbox rows failed');
          }
        }, PRUNE_INTERVAL_MS);
        pruner.unref();
        return { watchdog, telemetry, pruner };
      },
      ({ watchdog, telemetry, pruner }) => {
        clearInterval(pruner);
        telemetry.stop();
        watchdog.stop();
      },
    );

    log.info(
      { device: config.device.id, site: config.device.site, direction: config.device.direction, camera: camera.description, startupMs: Math.round(performance.now() - this.startedAt) },
      'daemon started; READY follows the first camera frame',
    );
    this.stepsDone = true;
    this.markReadyWhenDue();
  }

  /** Send READY=1 once every step has started (the worker is warm) and the camera has delivered a frame. */
  private markReadyWhenDue(): void {
    if (this.ready || !this.stepsDone || !this.firstFrameSeen) return;
    this.ready = true;
    const startupMs = Math.round(performance.now() - this.startedAt);
    this.notifier.ready(`running; camera ${this.parts.camera?.description ?? ''}`);
    this.log.info({ startupMs }, 'ready: vision worker warm and the camera delivers frames');
    this.events.emit('ready', { startupMs });
  }

  private require<K extends keyof Daemon['parts']>(name: K): NonNullable<Daemon['parts'][K]> {
    const part = this.parts[name];
    if (part === undefined) throw new Error(`The daemon's ${name} is not running.`);
    return part as NonNullable<Daemon['parts'][K]>;
  }
}
