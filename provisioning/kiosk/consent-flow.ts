import { randomUUID } from 'node:crypto';
import type { Logger } from '../../appliance/common/logger.js';
import { CONSENT_PURPOSE } from '../../appliance/consent/forms.js';
import type { ConsentService } from '../../appliance/consent/service.js';
import { CONFIRM_STEP, FACE_CONSENT_STEP } from '../../appliance/consent/service.js';
import type { ConsentStep, ConsentStore } from '../../appliance/consent/store.js';
import { isLocale, type Locale } from '../../appliance/i18n/locale.js';
import { formatMacauTime } from '../../protocol/wall-time.js';
import { consentTrack, type Domicile } from '../roster/worker.js';
import type { HandoffTokens } from './handoff.js';
import { redirect, sendJson, setSessionCookie, type RequestInfo } from './http.js';
import { kioskMessages } from './messages.js';
import { escapeHtml, pageContext, postForm, sendPage, textField, translate, type PageContext } from './pages.js';
import { qrSvg } from './qr.js';
import { receiptSection } from './receipt-page.js';
import type { SessionStore } from './sessions.js';

/** A worker's consent flow must be finished within this time after the technician starts it. */
export const FLOW_TIMEOUT_MS = 15 * 60_000;

export interface ConsentFlowsOptions {
  service: ConsentService;
  consents: ConsentStore;
  /** Domicile of a worker on the roster, or undefined. */
  domicileOf: (subjectId: string) => Domicile | undefined;
  sessions: SessionStore;
  tokens: HandoffTokens;
  /** Base HTTPS address of the kiosk for phone links, or undefined when none is known. */
  baseUrl: () => string | undefined;
  /** The form that starts a face capture for a worker, or '' when the kiosk cannot capture. */
  captureOffer: (context: PageContext, subjectId: string) => string;
  deviceId: string;
  logger: Logger;
  now: () => number;
}

export type FlowState = 'waiting' | 'in-progress' | 'granted' | 'declined' | 'expired';

interface Flow {
  id: string;
  technicianSessionId: string;
  /** The technician who started the flow and witnesses the consent. */
  technician: string;
  subjectId: string;
  law: 'macau-pdpa' | 'mainland-pipl';
  locale: Locale;
  steps: ConsentStep[];
  createdAt: number;
  /** Session of the worker's phone after a hand-off. From then on only that session can submit the flow's steps. */
  phoneSessionId: string | null;
  /** The hand-off token until the phone uses it, so the technician's page can show it again. */
  pendingToken: string | undefined;
  outcome: { kind: 'granted'; consentId: string } | { kind: 'declined' } | undefined;
}

/**
 * The worker's consent flow: each form in full, the separate unticked choice for facial recognition,
 * confirmation with the worker id, then the signed receipt. The technician starts it and either hands
 * over the screen or shows a QR code with a one-time link, so the worker fills in the steps on their own phone
 * while the technician's page follows the progress. Every step is recorded with time, IP address,
 * user agent, device and language of the screen that answered it.
 */
export class ConsentFlows {
  private readonly flows = new Map<string, Flow>();
  private readonly log: Logger;

  constructor(private readonly options: ConsentFlowsOptions) {
    this.log = options.logger;
  }

  /** Start a flow for a roster worker; returns the first page's address or the error to show. */
  begin(info: RequestInfo, subjectId: string): { location: string } | { error: string; status: number } {
    const technician = info.session.technician!;
    const domicile = this.options.domicileOf(subjectId);
    if (domicile === undefined) return { error: translate(info.locale, 'start.unknown', { subject: subjectId }), status: 404 };
    if (this.options.consents.active(subjectId, CONSENT_PURPOSE) !== undefined) {
      return { error: translate(info.locale, 'start.has-consent', { subject: subjectId }), status: 409 };
    }
    const track = consentTrack(domicile);
    const flow: Flow = {
      id: randomUUID(),
      technicianSessionId: info.session.id,
      technician,
      subjectId,
      law: track.law,
      locale: track.formLocale,
      steps: [],
      createdAt: this.options.now(),
      phoneSessionId: null,
      pendingToken: undefined,
      outcome: undefined,
    };
    this.flows.set(flow.id, flow);
    return { location: `/flow/${flow.id}/form/0?lang=${track.formLocale}` };
  }

  /** A form, the choice or the confirmation, for the session allowed to submit it. */
  async step(info: RequestInfo, flowId: string, step: number | 'choice' | 'confirm'): Promise<void> {
    const flow = this.flows.get(flowId);
    if (flow === undefined || !this.mayAnswer(flow, info)) return sendPage(info, 404, translate(info.locale, 'error.flow'), '', { workerFacing: true });
    const locale = isLocale(info.body.get('lang') ?? info.url.searchParams.get('lang') ?? '') ? info.locale : flow.locale;
    flow.locale = locale;
    const forms = this.options.service.forms(flow.law, locale);
    const record = (name: string): void => {
      flow.steps.push({ step: name, at: new Date(this.options.now()), ip: info.ip, userAgent: info.userAgent, deviceId: this.options.deviceId, locale });
    };
    const context = pageContext(info, locale);
    const path = `/flow/${flow.id}`;

    if (typeof step === 'number') {
      const form = forms[step];
      if (form === undefined) return sendPage(info, 404, translate(locale, 'error.flow'), '', { locale, workerFacing: true });
      if (info.request.method === 'POST') {
        record(`form-shown:${form.id}`);
        return redirect(info.response, step + 1 < forms.length ? `${path}/form/${step + 1}?lang=${locale}` : `${path}/choice?lang=${locale}`);
      }
      const text = `<p><small>${escapeHtml(form.id)} · ${escapeHtml(form.version)} · SHA-256 ${form.sha256}</small></p><pre class="form" lang="${form.locale}">${escapeHtml(form.text)}</pre>`;
      const offer = step === 0 && flow.phoneSessionId === null && flow.steps.length === 0
        ? `<hr><p>${translate(locale, 'handoff.offer')}</p>${postForm(context, `${path}/handoff`, '', translate(locale, 'handoff.submit'))}`
        : '';
      return sendPage(info, 200, escapeHtml(form.text.split('\n')[0]!), text + postForm(context, `${path}/form/${step}`, '', translate(locale, 'form.read')) + offer, { locale, workerFacing: true });
    }

    if (step === 'choice') {
      if (info.request.method === 'POST') {
        if (info.body.get('face-recognition') !== 'yes') {
          this.finish(flow, { kind: 'declined' });
          this.log.info({ flow: flow.id }, 'worker declined facial recognition; nothing recorded');
          return sendPage(info, 200, translate(locale, 'choice.heading'), `<p>${translate(locale, 'declined')}</p>`, { locale, workerFacing: true });
        }
        record(FACE_CONSENT_STEP);
        return redirect(info.response, `${path}/confirm?lang=${locale}`);
      }
      // The box starts unticked and covers facial recognition only, never bundled with other terms.
      const field = `<p><label><input type="checkbox" name="face-recognition" value="yes"> ${translate(locale, 'choice.label')}</label></p><p>${translate(locale, 'choice.help')}</p>`;
      return sendPage(info, 200, translate(locale, 'choice.heading'), postForm(context, `${path}/choice`, field, translate(locale, 'choice.submit')), { locale, workerFacing: true });
    }

    if (info.request.method === 'POST') {
      if ((info.body.get('subject') ?? '').trim() !== flow.subjectId) {
        const field = `<p class="error">${translate(locale, 'confirm.mismatch')}</p>${textField('subject', translate(locale, 'confirm.subject'))}`;
        return sendPage(info, 400, translate(locale, 'confirm.heading'), postForm(context, `${path}/confirm`, field, translate(locale, 'confirm.submit')), { locale, workerFacing: true });
      }
      record(CONFIRM_STEP);
      const consent = await this.options.service.grant(
        { subjectId: flow.subjectId, law: flow.law, method: 'kiosk', witness: flow.technician, faceRecognitionAccepted: true, steps: flow.steps },
        locale,
      );
      this.finish(flow, { kind: 'granted', consentId: consent.id });
      const section = receiptSection(locale, consent.receipt, { text: translate(locale, 'receipt.text', { consent: consent.id }), consentId: consent.id, subjectId: consent.subjectId, at: consent.grantedAt });
      const next = info.session.technician === null ? '' : this.nextForTechnician(context, flow.subjectId);
      return sendPage(info, 200, translate(locale, 'receipt.heading'), section + next, { locale, workerFacing: true });
    }
    const field = textField('subject', translate(locale, 'confirm.subject'));
    return sendPage(info, 200, translate(locale, 'confirm.heading'), postForm(context, `${path}/confirm`, field, translate(locale, 'confirm.submit')), { locale, workerFacing: true });
  }

  /** POST: issue a new one-time link for the worker's phone. GET: the technician's page that follows the flow. */
  handoff(info: RequestInfo, flowId: string): void {
    const flow = this.flows.get(flowId);
    if (flow === undefined || !this.isTechnicianOf(flow, info)) return sendPage(info, 404, translate(info.locale, 'error.flow'), '');
    const base = this.options.baseUrl();
    if (base === undefined) return sendPage(info, 503, translate(info.locale, 'handoff.heading'), `<p class="error">${translate(info.locale, 'handoff.unavailable')}</p>`);
    if (info.request.method === 'POST') {
      if (this.state(flow) !== 'waiting') return sendPage(info, 409, translate(info.locale, 'error.flow'), '');
      flow.pendingToken = this.options.tokens.issue(flow.id, flow.subjectId, flow.createdAt + FLOW_TIMEOUT_MS);
      this.log.info({ flow: flow.id, technician: flow.technician }, 'hand-off link issued for the worker\'s phone');
      return redirect(info.response, `/flow/${flow.id}/handoff?lang=${info.locale}`);
    }

    const state = this.state(flow);
    const context = pageContext(info);
    const poll = `<div data-poll="/flow/${flow.id}/status?lang=${info.locale}" data-state="${state}"><p id="handoff-status" aria-live="polite">${escapeHtml(this.describe(flow, info.locale))}</p></div>`;
    let body = poll;
    if (state === 'waiting' && flow.pendingToken !== undefined) {
      const link = `${base}/phone/${flow.pendingToken}`;
      const expires = formatMacauTime(new Date(flow.createdAt + FLOW_TIMEOUT_MS)).slice(11, 16);
      body = `<p>${translate(info.locale, 'handoff.text', { time: expires })}</p><div class="qr" data-link="${escapeHtml(link)}">${qrSvg(link, kioskMessages.translate(info.locale, 'handoff.qr'))}</div>${poll}`;
    }
    if (flow.outcome?.kind === 'granted') {
      body += `<p class="no-print"><a href="/receipt/${flow.outcome.consentId}?lang=${info.locale}">${translate(info.locale, 'receipt.print')}</a></p>${this.nextForTechnician(context, flow.subjectId)}`;
    }
    sendPage(info, 200, translate(info.locale, 'handoff.heading'), body, { refreshWithoutScript: state === 'waiting' || state === 'in-progress' });
  }

  /** JSON progress of a flow for the technician's page. */
  status(info: RequestInfo, flowId: string): void {
    const flow = this.flows.get(flowId);
    if (flow === undefined || !this.isTechnicianOf(flow, info)) return sendJson(info.response, 404, { error: 'not found' });
    sendJson(info.response, 200, { state: this.state(flow), text: { 'handoff-status': this.describe(flow, info.locale) } });
  }

  /** Redeem a hand-off link opened on the worker's phone, which gets a session of its own bound to the flow. */
  async phone(info: RequestInfo, token: string): Promise<void> {
    const redemption = this.options.tokens.redeem(token);
    const flow = redemption.ok ? this.flows.get(redemption.flowId) : undefined;
    if (!redemption.ok || flow === undefined || flow.subjectId !== redemption.subjectId || this.state(flow) !== 'waiting') {
      this.log.warn({ ip: info.ip, reason: redemption.ok ? 'flow-closed' : redemption.reason }, 'hand-off link rejected');
      return sendPage(info, 410, translate(info.locale, 'handoff.invalid'), '');
    }
    const session = this.options.sessions.create(flow.id);
    setSessionCookie(info.response, session.id);
    flow.phoneSessionId = session.id;
    flow.pendingToken = undefined;
    this.log.info({ flow: flow.id, ip: info.ip }, 'consent flow handed off to the worker\'s phone');
    // The first form is rendered here instead of after a redirect: a phone that opened the link from
    // its camera app may not send the new SameSite=Strict cookie on a redirect it did not start itself.
    const locale = isLocale(info.url.searchParams.get('lang') ?? '') ? info.locale : flow.locale;
    const url = new URL(`/flow/${flow.id}/form/0`, info.url);
    return this.step({ ...info, url, session, locale }, flow.id, 0);
  }

  /** Render the printable receipt of a consent for a signed-in technician. */
  receipt(info: RequestInfo, consentId: string): void {
    const record = this.options.consents.get(consentId);
    if (info.session.technician === null || record === undefined) return sendPage(info, 404, translate(info.locale, 'error.flow'), '');
    const section = receiptSection(info.locale, record.receipt, { text: translate(info.locale, 'receipt.text', { consent: record.id }), consentId: record.id, subjectId: record.subjectId, at: record.grantedAt });
    sendPage(info, 200, translate(info.locale, 'receipt.heading'), section + this.nextForTechnician(pageContext(info), record.subjectId));
  }

  /** Forget flows that expired or finished longer than a flow's lifetime ago. */
  sweep(): void {
    for (const [id, flow] of this.flows) {
      if (this.options.now() - flow.createdAt <= 2 * FLOW_TIMEOUT_MS) continue;
      this.flows.delete(id);
      this.options.tokens.revokeFlow(id);
    }
  }

  private nextForTechnician(context: PageContext, subjectId: string): string {
    const offer = this.options.captureOffer(context, subjectId);
    return offer === '' ? '' : `<div class="no-print"><hr><p>${translate(context.locale, 'receipt.capture')}</p>${offer}</div>`;
  }

  private mayAnswer(flow: Flow, info: RequestInfo): boolean {
    if (this.state(flow) === 'expired' || flow.outcome !== undefined) return false;
    if (flow.phoneSessionId !== null) return info.session.id === flow.phoneSessionId;
    return info.session.id === flow.technicianSessionId && info.session.technician !== null;
  }

  private isTechnicianOf(flow: Flow, info: RequestInfo): boolean {
    return info.session.technician !== null && info.session.id === flow.technicianSessionId;
  }

  private state(flow: Flow): FlowState {
    if (flow.outcome !== undefined) return flow.outcome.kind;
    if (this.options.now() - flow.createdAt > FLOW_TIMEOUT_MS) return 'expired';
    return flow.phoneSessionId === null ? 'waiting' : 'in-progress';
  }

  private describe(flow: Flow, locale: Locale): string {
    const t = kioskMessages.translator(locale);
    switch (this.state(flow)) {
      case 'waiting':
        return t('handoff.waiting');
      case 'in-progress':
        return t('handoff.progress', { done: flow.steps.length, total: this.options.service.forms(flow.law, flow.locale).length + 2 });
      case 'granted':
        return t('handoff.granted', { consent: flow.outcome?.kind === 'granted' ? flow.outcome.consentId : '' });
      case 'declined':
        return t('handoff.declined');
      case 'expired':
        return t('handoff.expired');
    }
  }

  private finish(flow: Flow, outcome: NonNullable<Flow['outcome']>): void {
    flow.outcome = outcome;
    flow.pendingToken = undefined;
    this.options.tokens.revokeFlow(flow.id);
  }
}
