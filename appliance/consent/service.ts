import { randomUUID, type KeyObject } from 'node:crypto';
import type { AuditLog } from '../audit/log.js';
import { FacegateError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { Gallery } from '../gallery/store.js';
import { validateSubjectId } from '../gallery/validate.js';
import type { Locale } from '../i18n/locale.js';
import { formatMacauTime } from '../../protocol/wall-time.js';
import { CONSENT_PURPOSE, formsForTrack, type FormParties, type RenderedForm } from './forms.js';
import { signReceipt } from './receipt.js';
import type { ConsentMethod, ConsentRecord, ConsentStep, ConsentStore, WithdrawalMethod } from './store.js';

/** Step names recorded for every consent, in this order, after one `form-shown:<form id>` per form. */
export const FACE_CONSENT_STEP = 'face-recognition-consent';
export const CONFIRM_STEP = 'confirm-worker-id';

export interface ConsentServiceOptions {
  store: ConsentStore;
  gallery: Gallery;
  audit: AuditLog;
  deviceKey: KeyObject;
  deviceId: string;
  siteId: string;
  parties: FormParties;
  logger: Logger;
  now?: () => Date;
}

export interface GrantRequest {
  subjectId: string;
  law: 'macau-pdpa' | 'mainland-pipl';
  method: ConsentMethod;
  witness: string | null;
  /** The separate, explicit choice for facial recognition; anything but true rejects the request. */
  faceRecognitionAccepted: boolean;
  /** Every step with its own time and origin; the service checks that each form was shown. */
  steps: ConsentStep[];
}

export interface WithdrawRequest {
  subjectId: string;
  method: WithdrawalMethod;
  actor: { kind: 'worker' | 'technician' | 'operator'; id: string | null };
  sourceAddress: string | null;
}

export interface WithdrawResult {
  record: ConsentRecord;
  templatesDestroyed: number;
  receipt: string;
}

/**
 * Give and withdraw consent: checks the flow, signs the receipt, stores the record and writes the
 * audit entry. Withdrawal also destroys the subject's templates by deleting its key.
 */
export class ConsentService {
  private readonly now: () => Date;
  private readonly log: Logger;

  constructor(private readonly options: ConsentServiceOptions) {
    this.now = options.now ?? (() => new Date());
    this.log = options.logger.child({ module: 'consent' });
  }

  /** The forms a worker of this track must be shown, rendered with the site's controller and contact. */
  forms(law: GrantRequest['law'], locale: Locale): RenderedForm[] {
    return formsForTrack(law, locale, this.options.parties);
  }

  /** Record a consent; throws FacegateError `consent.*` when the flow is incomplete or consent is already in force. */
  async grant(request: GrantRequest, locale: Locale): Promise<ConsentRecord> {
    validateSubjectId(request.subjectId);
    const { store, audit, deviceKey, deviceId, siteId } = this.options;
    if (request.faceRecognitionAccepted !== true) {
      throw new FacegateError('consent.not_accepted', `Subject ${request.subjectId} did not tick the separate consent to facial recognition.`, {
        hint: 'Consent to facial recognition must be an explicit choice of the worker; offer the PIN or badge instead.',
        params: { subject: request.subjectId },
      });
    }
    const existing = store.active(request.subjectId, CONSENT_PURPOSE);
    if (existing !== undefined) {
      throw new FacegateError('consent.already_given', `Subject ${request.subjectId} already has consent ${existing.id} in force.`, {
        hint: 'Withdraw it first with `facegate consent withdraw` if the worker must consent again.',
        params: { subject: request.subjectId, consent: existing.id },
      });
    }
    const forms = this.forms(request.law, locale);
    const names = request.steps.map((step) => step.step);
    const expected = [...forms.map((form) => `form-shown:${form.id}`), FACE_CONSENT_STEP, CONFIRM_STEP];
    const missing = expected.filter((name) => !names.includes(name));
    if (missing.length > 0) {
      throw new FacegateError('consent.incomplete', `The consent flow of ${request.subjectId} is missing the steps ${missing.join(', ')}.`, {
        hint: 'Show every form in full and record the separate choice and the confirmation before recording consent.',
        params: { subject: request.subjectId, missing: missing.join(', ') },
      });
    }

    const grantedAt = request.steps.find((step) => step.step === CONFIRM_STEP)!.at;
    const id = randomUUID();
    const accepted = forms.map((form) => ({ id: form.id, version: form.version, locale: form.locale, sha256: form.sha256 }));
    const receipt = await signReceipt(
      {
        kind: 'consent',
        consentId: id,
        subject: request.subjectId,
        purpose: CONSENT_PURPOSE,
        deviceId,
        siteId,
        law: request.law,
        forms: accepted,
        method: request.method,
        witness: request.witness,
        grantedAt: formatMacauTime(grantedAt),
      },
      deviceKey,
    );
    const record = {
      id,
      subjectId: request.subjectId,
      purpose: CONSENT_PURPOSE,
      law: request.law,
      locale,
      forms: accepted,
      method: request.method,
      witness: request.witness,
      grantedAt,
      receipt,
      steps: request.steps,
    };
    store.insert(record);
    const origin = request.steps.at(-1)!;
    audit.record({
      actor: request.witness === null ? { kind: 'worker', id: request.subjectId } : { kind: 'technician', id: request.witness },
      action: 'consent.grant',
      object: { kind: 'subject', id: request.subjectId },
      outcome: 'success',
      sourceAddress: origin.ip,
      detail: { consentId: id, law: request.law, method: request.method, locale, formVersion: forms[0]!.version },
    });
    return store.get(id)!;
  }

  /**
   * Withdraw the subject's consent and destroy its templates. The withdrawal is stored and queued
   * before the key is deleted, so a crash in between leaves the daemon's withdrawal watcher to finish it.
   */
  async withdraw(request: WithdrawRequest): Promise<WithdrawResult> {
    validateSubjectId(request.subjectId);
    const { store, gallery, audit, deviceKey, deviceId, siteId } = this.options;
    const active = store.active(request.subjectId, CONSENT_PURPOSE);
    if (active === undefined) {
      throw new FacegateError('consent.not_found', `Subject ${request.subjectId} has no consent in force to withdraw.`, {
        hint: '`facegate consent show ID` lists the subject\'s consents, withdrawn ones included.',
        params: { subject: request.subjectId },
      });
    }
    const templates = gallery.listSubjects().find((subject) => subject.id === request.subjectId)?.templates ?? 0;
    const withdrawnAt = this.now();
    const receipt = await signReceipt(
      {
        kind: 'withdrawal',
        consentId: active.id,
        subject: request.subjectId,
        purpose: CONSENT_PURPOSE,
        deviceId,
        siteId,
        method: request.method,
        withdrawnAt: formatMacauTime(withdrawnAt),
        templatesDestroyed: templates,
      },
      deviceKey,
    );
    store.markWithdrawn(active.id, { at: withdrawnAt, method: request.method, templatesDestroyed: templates, receipt });
    let removed;
    try {
      removed = gallery.removeSubject(request.subjectId);
    } catch (error) {
      // The consent is withdrawn and queued, so the daemon's withdrawal watcher deletes the key at its
      // next check and records `matcher.drop`. Until then the audit trail shows the templates remaining.
      audit.record({
        actor: request.actor,
        action: 'consent.withdraw',
        object: { kind: 'subject', id: request.subjectId },
        outcome: 'success',
        reason: 'templates-not-destroyed',
        sourceAddress: request.sourceAddress,
        detail: { consentId: active.id, method: request.method, templatesDestroyed: 0, templatesRemaining: templates },
      });
      this.log.error({ err: error, consent: active.id, templates }, 'consent withdrawn but deleting the templates failed');
      throw error;
    }
    audit.record({
      actor: request.actor,
      action: 'consent.withdraw',
      object: { kind: 'subject', id: request.subjectId },
      outcome: 'success',
      sourceAddress: request.sourceAddress,
      detail: { consentId: active.id, method: request.method, templatesDestroyed: removed.templates },
    });
    this.log.info({ consent: active.id, templates: removed.templates }, 'consent withdrawn and templates destroyed');
    return { record: store.get(active.id)!, templatesDestroyed: removed.templates, receipt };
  }
}

/** Throw `consent.missing` unless the subject has consent in force; enrolment calls this before storing anything. */
export function requireConsent(store: ConsentStore, subjectId: string): ConsentRecord {
  const record = store.active(subjectId, CONSENT_PURPOSE);
  if (record === undefined) {
    throw new FacegateError('consent.missing', `Subject ${subjectId} has no recorded consent to facial recognition in force.`, {
      hint: `Record the worker's consent first (\`facegate consent grant --subject ${subjectId} ...\` or the enrolment kiosk), or let the worker use a PIN or badge.`,
      params: { subject: subjectId },
    });
  }
  return record;
}
