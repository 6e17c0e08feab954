import { randomUUID } from 'node:crypto';
import type { AuditDraft, AuditLog } from '../audit/log.js';
import type { CameraSource } from '../camera/types.js';
import { FacegateError, errorMessage, isFacegateError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { requireConsent } from '../consent/service.js';
import type { ConsentStore } from '../consent/store.js';
import type { FrameAnalyser } from '../daemon/frame-loop.js';
import type { Matcher } from '../gallery/matcher.js';
import type { Gallery } from '../gallery/store.js';
import { validateSubjectId } from '../gallery/validate.js';
import { CaptureSession, type CaptureProgress, type CaptureSettings } from './capture-session.js';
import { findDuplicate, storeTemplate, type DuplicateMatch, type StoredTemplate } from './enrol.js';
import { LatestFrameTap } from './frame-tap.js';
import type { GateHold } from './gate-hold.js';

export type EnrolmentState = 'capturing' | 'duplicate' | 'enrolled' | 'cancelled' | 'timed-out' | 'failed';

/** The state of one enrolment, as the kiosk shows it. */
export interface EnrolmentView {
  id: string;
  subjectId: string;
  technician: string;
  state: EnrolmentState;
  progress: CaptureProgress;
  /** Templates the subject had before this enrolment. */
  existingTemplates: number;
  /** Set in state `duplicate`, and kept after the technician's choice. */
  duplicate: DuplicateMatch | undefined;
  /** Error code of a failed enrolment, such as `consent.missing`. */
  error: string | undefined;
}

export interface EnrolmentDeskOptions {
  camera: Pick<CameraSource, 'on'>;
  analyser: FrameAnalyser;
  gallery: Gallery;
  consents: ConsentStore;
  /** The matcher the gate uses now, and its calibrated threshold for the gallery's size. */
  matcher: () => Matcher;
  threshold: () => number;
  /** Version of the embedding model, stored with the template. */
  featureModel: string;
  /** Load the gallery into the gate's matcher again, as SIGHUP does. */
  reload: () => void;
  hold: GateHold;
  audit: AuditLog;
  capture: Omit<CaptureSettings, 'minIntervalMs'> & { minIntervalMs?: number };
  logger: Logger;
}

/** The technician acting on an enrolment and the address of the request, for the audit entry. */
export interface EnrolmentActor {
  technician: string;
  sourceAddress: string | null;
}

interface Enrolment {
  id: string;
  subjectId: string;
  technician: string;
  sourceAddress: string | null;
  state: EnrolmentState;
  session: CaptureSession;
  existingTemplates: number;
  captured: { template: Float32Array; frames: number; quality: number } | undefined;
  duplicate: DuplicateMatch | undefined;
  error: string | undefined;
  releaseHold: () => void;
  duplicateTimer: NodeJS.Timeout | undefined;
  finishedAt: number | undefined;
}

/** Finished enrolments stay visible to the kiosk this long. */
const KEEP_FINISHED_MS = 15 * 60_000;

/**
 * Face enrolment from the device's own camera, one worker at a time, driven by the kiosk. It checks
 * consent before the first frame, pauses the gate's face decisions and runs a CaptureSession. The
 * template is then matched against every other enrolled subject, and a match waits for the
 * technician's confirmation. Last, the template is stored and the gate's matcher reloaded. Each
 * step writes an audit entry: `enrolment.start`, `enrolment.duplicate-confirm`, `enrolment.add`
 * and `enrolment.cancel`.
 */
export class EnrolmentDesk {
  private readonly enrolments = new Map<string, Enrolment>();
  private readonly tap: LatestFrameTap;
  private readonly log: Logger;
  private active: Enrolment | undefined;
  private stopped = false;

  constructor(private readonly options: EnrolmentDeskOptions) {
    this.tap = new LatestFrameTap(options.camera);
    this.log = options.logger.child({ module: 'enrolment' });
  }

  /**
   * Start a capture for a subject with consent in force. Throws `consent.missing`, or
   * `enrolment.busy` while another enrolment uses the camera.
   */
  begin(subjectId: string, actor: EnrolmentActor): EnrolmentView {
    if (this.stopped) throw new FacegateError('enrolment.stopped', 'The enrolment desk is stopped.', { hint: 'Start the daemon again.' });
    validateSubjectId(subjectId);
    if (this.active !== undefined) {
      throw new FacegateError('enrolment.busy', `The camera is in use for the enrolment of ${this.active.subjectId}.`, {
        hint: 'Finish or cancel that enrolment first.',
        params: { subject: this.active.subjectId },
      });
    }
    // The face is processed only with consent in force, so the check comes before any frame is read.
    requireConsent(this.options.consents, subjectId);
    this.prune();

    const { gallery } = this.options;
    // Logs name workers by pseudonym, as the gate's logs do; the audit entries name the worker id.
    const pseudonym = gallery.pseudonymFor(subjectId);
    const existingTemplates = gallery.listSubjects().find((subject) => subject.id === subjectId)?.templates ?? 0;
    const enrolment: Enrolment = {
      id: randomUUID(),
      subjectId,
      technician: actor.technician,
      sourceAddress: actor.sourceAddress,
      state: 'capturing',
      session: new CaptureSession({ frames: this.tap, analyser: this.options.analyser, settings: this.options.capture, logger: this.log.child({ subject: pseudonym }) }),
      existingTemplates,
      captured: undefined,
      duplicate: undefined,
      error: undefined,
      releaseHold: this.options.hold.acquire(`enrolment of ${subjectId}`),
      duplicateTimer: undefined,
      finishedAt: undefined,
    };
    this.enrolments.set(enrolment.id, enrolment);
    this.active = enrolment;
    this.tap.start();
    this.audit(enrolment, actor, { action: 'enrolment.start', outcome: 'success', detail: { enrolment: enrolment.id, existingTemplates } });
    this.log.info({ enrolment: enrolment.id, subject: pseudonym, technician: actor.technician }, 'enrolment capture started');
    void this.capture(enrolment);
    return this.view(enrolment);
  }

  get(id: string): EnrolmentView | undefined {
    const enrolment = this.enrolments.get(id);
    return enrolment === undefined ? undefined : this.view(enrolment);
  }

  /** Store a template that matched another subject, after the technician checked they are two people. */
  confirmDuplicate(id: string, actor: EnrolmentActor): EnrolmentView {
    const enrolment = this.require(id, 'duplicate');
    clearTimeout(enrolment.duplicateTimer);
    const duplicate = enrolment.duplicate!;
    this.audit(enrolment, actor, {
      action: 'enrolment.duplicate-confirm',
      outcome: 'success',
      detail: { enrolment: enrolment.id, matchedSubject: duplicate.subjectId, score: round(duplicate.score), threshold: round(duplicate.threshold) },
    });
    this.save(enrolment, actor);
    return this.view(enrolment);
  }

  /** Cancel a capture or reject a duplicate; nothing is stored. */
  cancel(id: string, actor: EnrolmentActor): EnrolmentView {
    const enrolment = this.enrolments.get(id);
    if (enrolment === undefined || (enrolment.state !== 'capturing' && enrolment.state !== 'duplicate')) throw stateError(id, enrolment, 'capturing');
    const reason = enrolment.state === 'duplicate' ? 'duplicate-rejected' : 'technician-cancelled';
    this.finish(enrolment, 'cancelled');
    enrolment.session.cancel();
    this.audit(enrolment, actor, { action: 'enrolment.cancel', outcome: 'success', reason, detail: { enrolment: enrolment.id } });
    this.log.info({ enrolment: enrolment.id, reason }, 'enrolment cancelled');
    return this.view(enrolment);
  }

  /** Cancel the active enrolment and release the camera and the gate. */
  async stop(): Promise<void> {
    this.stopped = true;
    const active = this.active;
    if (active !== undefined) {
      this.finish(active, 'cancelled');
      active.session.cancel();
      this.audit(active, { technician: active.technician, sourceAddress: null }, { action: 'enrolment.cancel', outcome: 'failure', reason: 'service-stopped', detail: { enrolment: active.id } });
      await active.session.run();
    }
    this.tap.stop();
  }

  private async capture(enrolment: Enrolment): Promise<void> {
    const actor = { technician: enrolment.technician, sourceAddress: enrolment.sourceAddress };
    const outcome = await enrolment.session.run();
    // The capture is over either way; a duplicate question needs no more frames.
    if (this.active === enrolment) this.tap.stop();
    if (enrolment.state !== 'capturing') return;
    if (outcome.kind === 'timed-out') {
      this.finish(enrolment, 'timed-out');
      this.audit(enrolment, actor, { action: 'enrolment.cancel', outcome: 'failure', reason: 'timed-out', detail: { enrolment: enrolment.id } });
      return;
    }
    if (outcome.kind === 'cancelled') return;

    enrolment.captured = { template: outcome.template, frames: outcome.frames, quality: outcome.quality };
    const duplicate = findDuplicate(this.options.matcher(), outcome.template, enrolment.subjectId, this.options.threshold());
    if (duplicate === undefined) {
      this.save(enrolment, actor);
      return;
    }
    enrolment.duplicate = duplicate;
    enrolment.state = 'duplicate';
    this.log.warn({ enrolment: enrolment.id, matchedSubject: this.options.gallery.pseudonymFor(duplicate.subjectId), score: round(duplicate.score), threshold: round(duplicate.threshold) }, 'enrolment template matches another subject; waiting for the technician');
    // Unanswered, the question would keep the gate paused, so it expires like a capture.
    enrolment.duplicateTimer = setTimeout(() => {
      if (enrolment.state !== 'duplicate') return;
      this.finish(enrolment, 'timed-out');
      this.audit(enrolment, actor, { action: 'enrolment.cancel', outcome: 'failure', reason: 'duplicate-unanswered', detail: { enrolment: enrolment.id } });
    }, this.options.capture.timeoutMs);
    enrolment.duplicateTimer.unref();
  }

  private save(enrolment: Enrolment, actor: EnrolmentActor): void {
    const captured = enrolment.captured!;
    let stored: StoredTemplate;
    try {
      stored = storeTemplate({
        consents: this.options.consents,
        gallery: this.options.gallery,
        subjectId: enrolment.subjectId,
        template: captured.template,
        modelVersion: this.options.featureModel,
        quality: captured.quality,
      });
    } catch (error) {
      enrolment.error = isFacegateError(error) ? error.code : 'internal';
      this.finish(enrolment, 'failed');
      this.audit(enrolment, actor, { action: 'enrolment.add', outcome: 'failure', reason: shortReason(enrolment.error), detail: { enrolment: enrolment.id } });
      this.log.error({ err: error, enrolment: enrolment.id }, `kiosk enrolment not stored: ${errorMessage(error)}`);
      return;
    } finally {
      captured.template.fill(0);
    }
    try {
      this.options.reload();
    } catch (error) {
      // The template is stored; the gate recognises the worker after the next reload (SIGHUP or a restart).
      enrolment.error = 'gallery.reload_failed';
      this.log.error({ err: error, enrolment: enrolment.id }, `the gate's matcher was not reloaded after a kiosk enrolment: ${errorMessage(error)}`);
    }
    this.finish(enrolment, 'enrolled');
    this.audit(enrolment, actor, {
      action: 'enrolment.add',
      outcome: 'success',
      detail: {
        enrolment: enrolment.id,
        method: 'kiosk',
        templates: 1,
        frames: captured.frames,
        newSubject: stored.newSubject,
        ...(enrolment.duplicate === undefined ? {} : { duplicateOf: enrolment.duplicate.subjectId }),
      },
    });
    this.log.info({ enrolment: enrolment.id, subject: this.options.gallery.pseudonymFor(enrolment.subjectId), frames: captured.frames }, 'subject enrolled from the kiosk');
  }

  private finish(enrolment: Enrolment, state: EnrolmentState): void {
    enrolment.state = state;
    enrolment.finishedAt = Date.now();
    clearTimeout(enrolment.duplicateTimer);
    enrolment.releaseHold();
    if (this.active === enrolment) {
      this.active = undefined;
      this.tap.stop();
    }
  }

  private require(id: string, state: EnrolmentState): Enrolment {
    const enrolment = this.enrolments.get(id);
    if (enrolment === undefined || enrolment.state !== state) throw stateError(id, enrolment, state);
    return enrolment;
  }

  private audit(enrolment: Enrolment, actor: EnrolmentActor, draft: Pick<AuditDraft, 'action' | 'outcome' | 'reason' | 'detail'>): void {
    try {
      this.options.audit.record({
        actor: { kind: 'technician', id: actor.technician },
        object: { kind: 'subject', id: enrolment.subjectId },
        sourceAddress: actor.sourceAddress,
        ...draft,
      });
    } catch (error) {
      // The enrolment already happened; a lost audit entry must be visible in the journal.
      this.log.error({ err: error, action: draft.action, enrolment: enrolment.id }, 'writing the enrolment audit entry failed');
    }
  }

  private view(enrolment: Enrolment): EnrolmentView {
    return {
      id: enrolment.id,
      subjectId: enrolment.subjectId,
      technician: enrolment.technician,
      state: enrolment.state,
      progress: enrolment.session.progress(),
      existingTemplates: enrolment.existingTemplates,
      duplicate: enrolment.duplicate,
      error: enrolment.error,
    };
  }

  private prune(): void {
    const now = Date.now();
    for (const [id, enrolment] of this.enrolments) {
      if (enrolment.finishedAt !== undefined && now - enrolment.finishedAt > KEEP_FINISHED_MS) this.enrolments.delete(id);
    }
  }
}

function stateError(id: string, enrolment: Enrolment | undefined, expected: EnrolmentState): FacegateError {
  const state = enrolment?.state ?? 'unknown';
  return new FacegateError('enrolment.state', `Enrolment ${id} is ${state}, not ${expected}.`, {
    hint: 'Reload the page to see where the enrolment stands.',
    params: { enrolment: id, state, expected },
  });
}

function round(score: number): number {
  return Math.round(score * 1000) / 1000;
}

/** Turn an error code into an audit reason token: lower case, at most 48 characters. */
function shortReason(code: string): string {
  return code.toLowerCase().replace(/[^a-z0-9._-]/g, '-').slice(0, 48);
}
