import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuditLog } from '../../appliance/audit/log.js';
import type { Logger } from '../../appliance/common/logger.js';
import { isFacegateError } from '../../appliance/common/errors.js';
import type { ConsentService } from '../../appliance/consent/service.js';
import type { ConsentStore } from '../../appliance/consent/store.js';
import type { EnrolmentDesk } from '../../appliance/enrolment/desk.js';
import type { CredentialStore } from '../../appliance/fallback/credentials.js';
import { isLocale, type Locale } from '../../appliance/i18n/locale.js';
import type { Domicile } from '../roster/worker.js';
import { CapturePages } from './capture-pages.js';
import { ConsentFlows } from './consent-flow.js';
import { HandoffTokens, handoffBaseUrl } from './handoff.js';
import { SESSION_COOKIE, clientAddress, readCookie, readForm, redirect, sendNotFound, sendScript, setSessionCookie, type RequestInfo } from './http.js';
import { KioskAudit } from './kiosk-audit.js';
import { pageContext, postForm, sendPage, textField, translate } from './pages.js';
import { receiptSection } from './receipt-page.js';
import { KIOSK_SCRIPT } from './script.js';
import { SessionStore, csrfMatches, type Session } from './sessions.js';
import type { TechnicianAccounts } from './technicians.js';

/** How often expired sessions, flows and hand-off links are dropped. */
const SWEEP_INTERVAL_MS = 60_000;

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const FLOW_PATH = new RegExp(`^/flow/(${UUID})/(form/(\\d+)|choice|confirm|handoff|status)$`);
const ENROL_PATH = new RegExp(`^/enrol/(${UUID})(/status|/confirm|/cancel)?$`);
const RECEIPT_PATH = new RegExp(`^/receipt/(${UUID})$`);
const PHONE_PATH = /^\/phone\/([A-Za-z0-9_-]{43})$/;

export interface KioskServerOptions {
  host: string;
  port: number;
  /** PEM certificate and key the kiosk serves HTTPS with: the device's own by default. */
  tls: { cert: string | Buffer; key: string | Buffer };
  service: ConsentService;
  consents: ConsentStore;
  /** Domicile of a worker on the roster, or undefined. */
  domicileOf: (subjectId: string) => Domicile | undefined;
  credentials: CredentialStore;
  accounts: TechnicianAccounts;
  /** The device's audit log, for technician sign-in and sign-out entries. */
  audit: AuditLog;
  /** Face capture from the device camera; without it the kiosk records consent only. */
  enrolment?: EnrolmentDesk;
  /** Base address put in phone hand-off links; see handoffBaseUrl for the default. */
  publicUrl?: string;
  deviceId: string;
  defaultLocale: Locale;
  logger: Logger;
  now?: () => number;
}

/**
 * The LAN enrolment kiosk over HTTPS. A technician signs in, starts a worker's consent (on this
 * screen or on the worker's phone through a QR code), then a face capture with the device camera.
 * Workers withdraw with their worker id and PIN. Sign-ins, failures, lockouts and sign-outs are
 * audited; a password is never logged or audited.
 */
export class KioskServer {
  private readonly server: https.Server;
  private readonly sessions: SessionStore;
  private readonly tokens: HandoffTokens;
  private readonly flows: ConsentFlows;
  private readonly capture: CapturePages;
  private readonly audit: KioskAudit;
  private readonly log: Logger;
  private readonly now: () => number;
  private sweeper: NodeJS.Timeout | undefined;
  private port: number | undefined;

  constructor(private readonly options: KioskServerOptions) {
    this.now = options.now ?? Date.now;
    this.log = options.logger.child({ module: 'kiosk' });
    this.audit = new KioskAudit(options.audit, this.log);
    this.sessions = new SessionStore(this.now, (session) => {
      if (session.technician === null) return;
      this.log.info({ technician: session.technician }, 'technician session ended after idling');
      this.audit.signOut(session.technician, 'idle-timeout', null);
    });
    this.tokens = new HandoffTokens(this.now);
    this.capture = new CapturePages(options.enrolment, this.log);
    this.flows = new ConsentFlows({
      service: options.service,
      consents: options.consents,
      domicileOf: options.domicileOf,
      sessions: this.sessions,
      tokens: this.tokens,
      baseUrl: () => (this.port === undefined ? undefined : handoffBaseUrl({ host: options.host, port: this.port, publicUrl: options.publicUrl })),
      captureOffer: (context, subjectId) => this.capture.offer(context, subjectId),
      deviceId: options.deviceId,
      logger: this.log,
      now: this.now,
    });
    this.server = https.createServer({ cert: options.tls.cert, key: options.tls.key, minVersion: 'TLSv1.2' }, (request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        this.log.error({ err: error, path: request.url }, 'kiosk request failed');
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        response.end('internal error\n');
      });
    });
  }

  async start(): Promise<{ port: number }> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
    const handoff = handoffBaseUrl({ host: this.options.host, port: this.port, publicUrl: this.options.publicUrl });
    this.log.info({ host: this.options.host, port: this.port, handoff: handoff ?? null, capture: this.capture.available }, 'kiosk listening');
    if (handoff === undefined) this.log.warn('no address for phone hand-off links: set kiosk.publicUrl');
    return { port: this.port };
  }

  async stop(): Promise<void> {
    clearInterval(this.sweeper);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Drop expired sessions (auditing idle technician sign-outs), flows and hand-off links. */
  sweep(): void {
    this.sessions.sweep();
    this.flows.sweep();
    this.tokens.sweep();
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'https://kiosk.invalid');
    if (url.pathname === '/kiosk.js') return sendScript(response, KIOSK_SCRIPT);
    let session = this.sessions.get(readCookie(request, SESSION_COOKIE));
    if (session === undefined) {
      session = this.sessions.create();
      setSessionCookie(response, session.id);
    }
    const body = request.method === 'POST' ? await readForm(request) : new URLSearchParams();
    const requested = body.get('lang') ?? url.searchParams.get('lang') ?? '';
    const info: RequestInfo = {
      request,
      response,
      url,
      session,
      body,
      locale: isLocale(requested) ? requested : this.options.defaultLocale,
      ip: clientAddress(request),
      userAgent: (request.headers['user-agent'] ?? 'unknown').slice(0, 256),
    };
    if (request.method === 'POST' && !csrfMatches(session, body.get('csrf') ?? undefined)) {
      this.log.warn({ path: url.pathname, ip: info.ip }, 'kiosk form rejected: CSRF token missing or wrong');
      return sendPage(info, 403, translate(info.locale, 'error.csrf'), '');
    }

    const { pathname } = url;
    if (pathname === '/' || pathname === '/sign-in') return request.method === 'POST' ? this.signIn(info) : this.signInPage(info, undefined);
    if (pathname === '/sign-out' && request.method === 'POST') return this.signOut(info);
    if (pathname === '/withdraw') return this.withdraw(info);
    if (pathname === '/start') return this.startPage(info);
    if (pathname === '/enrol' && request.method === 'POST') return this.capture.begin(info);

    const phone = PHONE_PATH.exec(pathname);
    if (phone !== null && request.method === 'GET') return this.flows.phone(info, phone[1]!);
    const flow = FLOW_PATH.exec(pathname);
    if (flow !== null) {
      const [, id, step, form] = flow as unknown as [string, string, string, string | undefined];
      if (step === 'handoff') return this.flows.handoff(info, id);
      if (step === 'status') return this.flows.status(info, id);
      return this.flows.step(info, id, form === undefined ? (step as 'choice' | 'confirm') : Number(form));
    }
    const enrol = ENROL_PATH.exec(pathname);
    if (enrol !== null) {
      const [, id, action] = enrol as unknown as [string, string, string | undefined];
      if (action === '/status') return this.capture.statusJson(info, id);
      if (action === undefined && request.method === 'GET') return this.capture.page(info, id);
      if (action !== undefined && request.method === 'POST') return this.capture.act(info, id, action === '/confirm' ? 'confirm' : 'cancel');
    }
    const receipt = RECEIPT_PATH.exec(pathname);
    if (receipt !== null) return this.flows.receipt(info, receipt[1]!);
    sendNotFound(response);
  }

  private signInPage(info: RequestInfo, error: string | undefined): void {
    const context = pageContext(info);
    const fields = `${error === undefined ? '' : `<p class="error">${error}</p>`}${textField('user', translate(info.locale, 'signin.user'))}${textField('password', translate(info.locale, 'signin.password'), 'password')}`;
    sendPage(info, error === undefined ? 200 : 401, translate(info.locale, 'signin.heading'), postForm(context, '/sign-in', fields, translate(info.locale, 'signin.submit')));
  }

  private signIn(info: RequestInfo): void {
    const user = info.body.get('user') ?? '';
    const { accounts } = this.options;
    const attempt = { knownUser: accounts.hasAccount(user), lockedBefore: accounts.isLocked(user) };
    const result = accounts.signIn(user, info.body.get('password') ?? '');
    this.audit.signIn(user, result, attempt, info.ip);
    if (!result.ok) {
      // The typed name is logged only when it is an account's, in case a password was typed into it.
      this.log.warn({ user: attempt.knownUser ? user : null, ip: info.ip, reason: result.reason }, 'technician sign-in failed');
      return this.signInPage(info, translate(info.locale, result.reason === 'locked' ? 'signin.locked' : 'signin.wrong'));
    }
    const promoted = this.sessions.promote(info.session, user);
    setSessionCookie(info.response, promoted.id);
    this.log.info({ user, ip: info.ip }, 'technician signed in');
    redirect(info.response, `/start?lang=${info.locale}`);
  }

  private signOut(info: RequestInfo): void {
    const technician = info.session.technician;
    this.sessions.end(info.session.id);
    if (technician !== null) {
      this.audit.signOut(technician, 'signed-out', info.ip);
      this.log.info({ user: technician, ip: info.ip }, 'technician signed out');
    }
    const fresh: Session = this.sessions.create();
    setSessionCookie(info.response, fresh.id);
    sendPage({ ...info, session: fresh }, 200, translate(info.locale, 'signout.done'), `<p><a href="/?lang=${info.locale}">${translate(info.locale, 'signin.heading')}</a></p>`);
  }

  private startPage(info: RequestInfo): void {
    if (info.session.technician === null) return this.signInPage(info, translate(info.locale, 'error.signin'));
    let error = '';
    let status = 200;
    if (info.request.method === 'POST') {
      const started = this.flows.begin(info, (info.body.get('subject') ?? '').trim());
      if ('location' in started) return redirect(info.response, started.location);
      error = `<p class="error">${started.error}</p>`;
      status = started.status;
    }
    const context = pageContext(info);
    const consent = postForm(context, '/start', error + textField('subject', translate(info.locale, 'start.subject')), translate(info.locale, 'start.submit'));
    const capture = this.capture.available
      ? `<h2>${translate(info.locale, 'start.or-capture')}</h2>${postForm(context, '/enrol', textField('subject', translate(info.locale, 'start.subject')), translate(info.locale, 'start.capture'))}`
      : '';
    sendPage(info, status, translate(info.locale, 'start.heading'), consent + capture);
  }

  private async withdraw(info: RequestInfo): Promise<void> {
    const context = pageContext(info);
    const fields = textField('subject', translate(info.locale, 'withdraw.subject')) + textField('pin', translate(info.locale, 'withdraw.pin'), 'password');
    if (info.request.method !== 'POST') {
      return sendPage(info, 200, translate(info.locale, 'withdraw.heading'), postForm(context, '/withdraw', fields, translate(info.locale, 'withdraw.submit')), { workerFacing: true });
    }
    const subjectId = (info.body.get('subject') ?? '').trim();
    const failed = (): void =>
      sendPage(info, 400, translate(info.locale, 'withdraw.heading'), `<p class="error">${translate(info.locale, 'withdraw.failed')}</p>${postForm(context, '/withdraw', fields, translate(info.locale, 'withdraw.submit'))}`, { workerFacing: true });
    if (!this.options.credentials.checkPin(subjectId, info.body.get('pin') ?? '')) {
      this.log.warn({ ip: info.ip }, 'kiosk withdrawal rejected: wrong worker id or PIN');
      return failed();
    }
    try {
      const result = await this.options.service.withdraw({ subjectId, method: 'kiosk', actor: { kind: 'worker', id: subjectId }, sourceAddress: info.ip });
      const text = translate(info.locale, 'withdraw.done', { templates: result.templatesDestroyed });
      const section = receiptSection(info.locale, result.receipt, { text, consentId: result.record.id, subjectId, at: result.record.withdrawnAt ?? new Date(this.now()) });
      return sendPage(info, 200, translate(info.locale, 'withdraw.heading'), section, { workerFacing: true });
    } catch (error) {
      if (!isFacegateError(error) || error.code !== 'consent.not_found') throw error;
      this.log.warn({ ip: info.ip }, 'kiosk withdrawal rejected: no consent in force');
      return failed();
    }
  }
}
