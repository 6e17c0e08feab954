import type { Logger } from '../common/logger.js';
import type { Frame } from '../camera/types.js';
import type { GateDecision } from '../decision/types.js';
import type { DoorController, DoorEvents } from '../door/door-controller.js';
import type { MqttPublisher } from '../mqtt/publisher.js';
import type { TypedEvents } from '../mqtt/typed-events.js';
import type { Outbox } from '../outbox/outbox.js';
import type { LatencyWindow } from '../telemetry/latency-window.js';
import type { GateAudit } from './audit-trail.js';
import type { EventRecorder, RecordRequest } from './event-recorder.js';
import type { DaemonEvents } from './events.js';

export interface GateActionsOptions {
  door: DoorController;
  recorder: EventRecorder;
  outbox: Outbox;
  publisher: MqttPublisher;
  /** Pseudonym of a subject, as events and logs name it. */
  pseudonymFor(subjectId: string): string;
  latencies: LatencyWindow;
  events: TypedEvents<DaemonEvents>;
  logger: Logger;
  /** Audit entries for door alarms and repeat grants; events get theirs through the recorder. */
  audit?: GateAudit;
}

/**
 * Acts on decisions: drives the door, then commits the attendance event that reports the door's
 * result. Also records exit-button openings, logs door alarms, and shows the offline pattern while
 * the broker is unreachable.
 */
export class GateActions {
  private readonly pending = new Set<Promise<void>>();
  private readonly detachers: Array<() => void> = [];
  private offline = false;

  constructor(private readonly options: GateActionsOptions) {}

  start(): void {
    const { door, publisher } = this.options;
    this.listen(door, 'exit', (exit) => this.track(this.onExit(exit)));
    this.listen(door, 'forced', (event) => {
      this.options.logger.error({ alarm: 'forced', wallTime: event.wallTime }, 'alarm: door forced open');
      this.options.audit?.doorForced(event.wallTime);
    });
    this.listen(door, 'heldOpen', (event) => {
      this.options.logger.error({ alarm: 'heldOpen', openForMs: Math.round(event.openForMs), wallTime: event.wallTime }, 'alarm: door held open');
      this.options.audit?.doorHeldOpen(event.openForMs, event.wallTime);
    });
    this.listen(door, 'closed', (event) => {
      if (event.alarm !== undefined) this.options.logger.warn({ alarm: event.alarm, openForMs: Math.round(event.openForMs) }, 'door closed; alarm cleared');
    });
    this.listen(door, 'fault', (event) => this.options.logger.error({ err: event.error, component: event.component }, 'alarm: door fault'));

    this.detachers.push(
      publisher.on('disconnected', (event) => {
        if (event.reason === 'stopped' || this.offline) return;
        this.offline = true;
        door.signal('offline');
      }),
      publisher.on('connected', () => {
        if (!this.offline) return;
        this.offline = false;
        door.clearBackground();
      }),
    );
  }

  /** Detach from the door and publisher and wait for every event still being committed. */
  async stop(): Promise<void> {
    for (const detach of this.detachers.splice(0)) detach();
    await this.settled();
  }

  /** Wait until every decision and exit handled so far has committed its event. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** Act on one decision; the work runs in the background and stop() waits for it. */
  handle(decision: GateDecision, frame: Frame): void {
    this.track(this.act(decision, frame));
  }

  /** Commit an event outside the face path (tests and the benchmark use it for a known load). */
  async record(request: RecordRequest): Promise<void> {
    const committed = await this.options.recorder.record(request);
    this.options.events.emit('committed', committed);
  }

  private async act(decision: GateDecision, frame: Frame): Promise<void> {
    const { door, outbox, logger } = this.options;
    const subject = decision.subjectId === null ? null : this.options.pseudonymFor(decision.subjectId);
    let doorActuated = false;
    let relayLatencyMs: number | undefined;

    if (decision.decision === 'granted') {
      if (outbox.depth() >= outbox.hardLimit) {
        // Fail secure: without room for the event the opening could not be recorded.
        logger.error({ trackId: decision.trackId, depth: outbox.depth(), hardLimit: outbox.hardLimit }, 'grant rejected: the outbox is full, so its event could not be recorded; the door stays shut');
        door.deny();
      } else {
        const result = await door.grant({ reason: 'face' });
        doorActuated = result.actuated;
        if (result.actuated) {
          relayLatencyMs = Number(process.hrtime.bigint() - frame.capturedAtNs) / 1e6;
          this.options.latencies.record('relay', relayLatencyMs);
        } else {
          logger.warn({ trackId: decision.trackId, rejection: result.rejection }, 'door did not open for a grant');
        }
      }
    } else {
      door.deny();
    }
    this.options.events.emit('decision', { decision, subject, doorActuated, ...(relayLatencyMs === undefined ? {} : { relayLatencyMs }) });

    if (decision.repeat) {
      logger.info({ trackId: decision.trackId, subject, doorActuated }, 'repeat grant within the debounce time: no new attendance event');
      this.options.audit?.repeatGrant(subject, doorActuated);
      return;
    }
    const request: RecordRequest = {
      decision: decision.decision,
      method: 'face',
      subject,
      scores: decision.scores,
      doorActuated,
      reason: decision.reason,
    };
    await this.commit(request, { trackId: decision.trackId });
  }

  private async onExit(exit: DoorEvents['exit']): Promise<void> {
    this.options.logger.info({ actuated: exit.actuated, rejection: exit.rejection }, 'exit button pressed');
    await this.commit(
      {
        decision: exit.actuated ? 'granted' : 'denied',
        method: 'exit-button',
        subject: null,
        scores: {},
        doorActuated: exit.actuated,
        reason: exit.actuated ? 'exit-button' : `exit-${exit.rejection ?? 'rejected'}`,
      },
      {},
    );
  }

  private async commit(request: RecordRequest, context: Record<string, unknown>): Promise<void> {
    const started = performance.now();
    try {
      const committed = await this.options.recorder.record(request);
      this.options.latencies.record('commit', performance.now() - started);
      const { event } = committed;
      this.options.logger.info(
        { ...context, eventId: event.eventId, seq: event.seq, decision: event.decision, method: event.method, subject: event.subject, doorActuated: event.doorActuated, reason: event.reason },
        'event committed',
      );
      this.options.events.emit('committed', committed);
    } catch (error) {
      // The decision already happened at the door; the event is lost, so it is logged in full.
      this.options.logger.error({ ...context, err: error, request }, 'committing the attendance event failed');
    }
  }

  private track(work: Promise<void>): void {
    const guarded = work.catch((error: unknown) => this.options.logger.error({ err: error }, 'handling a gate decision failed'));
    this.pending.add(guarded);
    void guarded.finally(() => this.pending.delete(guarded));
  }

  private listen<K extends keyof DoorEvents>(door: DoorController, event: K, listener: (payload: DoorEvents[K]) => void): void {
    door.on(event, listener);
    this.detachers.push(() => door.off(event, listener));
  }
}
