import type { Logger } from '../../appliance/common/logger.js';
import { isFacegateError } from '../../appliance/common/errors.js';
import type { EnrolmentDesk, EnrolmentView } from '../../appliance/enrolment/desk.js';
import { guidanceMessages } from '../../appliance/enrolment/messages.js';
import type { Locale } from '../../appliance/i18n/locale.js';
import type { MessageParams } from '../../appliance/i18n/translate.js';
import { captureMessages, type CaptureMessageKey } from './capture-messages.js';
import { redirect, sendJson, type RequestInfo } from './http.js';
import { escapeHtml, hiddenField, pageContext, postForm, sendPage, translate, type PageContext } from './pages.js';

function t(locale: Locale, key: CaptureMessageKey, params?: MessageParams): string {
  return escapeHtml(captureMessages.translate(locale, key, params));
}

/**
 * The technician's face capture pages. The page shows one instruction for the worker and the
 * progress, polled from `/enrol/<id>/status`, never a picture: the frames stay in the daemon. A
 * template that matches another worker waits for the technician to confirm or cancel.
 */
export class CapturePages {
  constructor(
    private readonly desk: EnrolmentDesk | undefined,
    private readonly logger: Logger,
  ) {}

  get available(): boolean {
    return this.desk !== undefined;
  }

  /** Render the form that starts a capture for one worker; '' without a camera. */
  offer(context: PageContext, subjectId: string): string {
    if (this.desk === undefined) return '';
    return postForm(context, '/enrol', hiddenField('subject', subjectId), translate(context.locale, 'start.capture'));
  }

  /** POST /enrol: start a capture and go to its page, or show why it cannot start. */
  begin(info: RequestInfo): void {
    if (info.session.technician === null) return sendPage(info, 401, translate(info.locale, 'error.signin'), '');
    const subjectId = (info.body.get('subject') ?? '').trim();
    if (this.desk === undefined) return sendPage(info, 503, t(info.locale, 'heading', { subject: subjectId }), `<p class="error">${t(info.locale, 'unavailable')}</p>`);
    let view: EnrolmentView;
    try {
      view = this.desk.begin(subjectId, { technician: info.session.technician, sourceAddress: info.ip });
    } catch (error) {
      if (!isFacegateError(error)) throw error;
      this.logger.warn({ code: error.code }, 'kiosk enrolment not started');
      let message: string;
      if (error.code === 'enrolment.busy') message = t(info.locale, 'busy', { subject: String(error.params.subject) });
      else if (error.code === 'consent.missing') message = t(info.locale, 'no-consent', { subject: subjectId });
      else message = escapeHtml(error.message);
      return sendPage(info, 409, t(info.locale, 'heading', { subject: subjectId }), `<p class="error">${message}</p>${this.back(info.locale)}`);
    }
    redirect(info.response, `/enrol/${view.id}?lang=${info.locale}`);
  }

  /** GET /enrol/<id>: the page for the enrolment's current state. */
  page(info: RequestInfo, id: string): void {
    const view = this.view(info, id);
    if (view === undefined) return sendPage(info, 404, translate(info.locale, 'error.flow'), '');
    const { locale } = info;
    const context = pageContext(info);
    const subject = view.subjectId;
    const path = `/enrol/${view.id}`;
    switch (view.state) {
      case 'capturing': {
        const status = this.status(view, locale);
        const existing = view.existingTemplates > 0 ? `<p>${t(locale, 'existing', { subject, templates: view.existingTemplates })}</p>` : '';
        const body = `<p>${t(locale, 'intro')}</p>${existing}
<div data-poll="${path}/status?lang=${locale}" data-state="capturing">
<p class="guidance" id="guidance" aria-live="polite">${escapeHtml(status.text.guidance)}</p>
<progress id="progress" max="${view.progress.required}" value="${view.progress.accepted}"></progress>
<p id="progress-text">${escapeHtml(status.text['progress-text'])}</p>
</div>
<p><small>${t(locale, 'gate-paused')}</small></p>
${postForm(context, `${path}/cancel`, '', t(locale, 'cancel'))}`;
        return sendPage(info, 200, t(locale, 'heading', { subject }), body, { refreshWithoutScript: true });
      }
      case 'duplicate': {
        const duplicate = view.duplicate!;
        const text = t(locale, 'duplicate.text', { other: duplicate.subjectId, subject, score: duplicate.score.toFixed(3), threshold: duplicate.threshold.toFixed(3) });
        const body = `<div class="warning" id="duplicate" data-other="${escapeHtml(duplicate.subjectId)}"><p>${text}</p></div>
${postForm(context, `${path}/confirm`, '', t(locale, 'duplicate.confirm', { subject }))}
${postForm(context, `${path}/cancel`, '', t(locale, 'duplicate.cancel'))}`;
        return sendPage(info, 200, t(locale, 'duplicate.heading'), body);
      }
      case 'enrolled': {
        const reload = view.error === undefined ? '' : `<p class="error">${t(locale, 'enrolled.reload-failed')}</p>`;
        return sendPage(info, 200, t(locale, 'enrolled.heading'), `<p id="outcome">${t(locale, 'enrolled.text', { subject })}</p>${reload}${this.back(locale)}`);
      }
      case 'cancelled':
        return sendPage(info, 200, t(locale, 'cancelled.heading'), `<p id="outcome">${t(locale, 'cancelled.text', { subject })}</p>${this.again(context, subject)}`);
      case 'timed-out':
        return sendPage(info, 200, t(locale, 'timed-out.heading'), `<p id="outcome">${t(locale, 'timed-out.text', { subject, seconds: Math.round(view.progress.elapsedMs / 1000) })}</p>${this.again(context, subject)}`);
      case 'failed':
        return sendPage(info, 200, t(locale, 'failed.heading'), `<p id="outcome" class="error">${t(locale, 'failed.text', { subject, error: view.error ?? 'internal' })}</p>${this.again(context, subject)}`);
    }
  }

  /** GET /enrol/<id>/status: the live state for the page's script. */
  statusJson(info: RequestInfo, id: string): void {
    const view = this.view(info, id);
    if (view === undefined) return sendJson(info.response, 404, { error: 'not found' });
    sendJson(info.response, 200, this.status(view, info.locale));
  }

  /** POST /enrol/<id>/confirm or /cancel. */
  act(info: RequestInfo, id: string, action: 'confirm' | 'cancel'): void {
    if (this.view(info, id) === undefined || this.desk === undefined) return sendPage(info, 404, translate(info.locale, 'error.flow'), '');
    const actor = { technician: info.session.technician!, sourceAddress: info.ip };
    try {
      if (action === 'confirm') this.desk.confirmDuplicate(id, actor);
      else this.desk.cancel(id, actor);
    } catch (error) {
      // Another tab or the timeout got there first; the page shows the enrolment's state now.
      if (!isFacegateError(error) || error.code !== 'enrolment.state') throw error;
    }
    redirect(info.response, `/enrol/${id}?lang=${info.locale}`);
  }

  private view(info: RequestInfo, id: string): EnrolmentView | undefined {
    if (info.session.technician === null) return undefined;
    return this.desk?.get(id);
  }

  private status(view: EnrolmentView, locale: Locale): { state: string; accepted: number; required: number; guidance: string; text: { guidance: string; 'progress-text': string } } {
    const { progress } = view;
    return {
      state: view.state,
      accepted: progress.accepted,
      required: progress.required,
      guidance: progress.guidance,
      text: {
        guidance: guidanceMessages.translate(locale, progress.guidance),
        'progress-text': captureMessages.translate(locale, 'progress', { accepted: progress.accepted, required: progress.required, seconds: Math.ceil(progress.remainingMs / 1000) }),
      },
    };
  }

  private again(context: PageContext, subjectId: string): string {
    return postForm(context, '/enrol', hiddenField('subject', subjectId), t(context.locale, 'again')) + this.back(context.locale);
  }

  private back(locale: Locale): string {
    return `<p><a href="/start?lang=${locale}">${t(locale, 'back')}</a></p>`;
  }
}
