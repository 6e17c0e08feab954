import { randomUUID } from 'node:crypto';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../appliance/common/logger.js';
import { isFacegateError } from '../../appliance/common/errors.js';
import type { ConsentService } from '../../appliance/consent/service.js';
import { CONFIRM_STEP, FACE_CONSENT_STEP } from '../../appliance/consent/service.js';
import type { ConsentStep } from '../../appliance/consent/store.js';
import type { CredentialStore } from '../../appliance/fallback/credentials.js';
import { isLocale, type Locale } from '../../appliance/i18n/locale.js';
import { consentTrack, type Domicile } from '../roster/worker.js';
import { escapeHtml, layout, postForm, textField, translate, type PageContext } from './pages.js';
import { SessionStore, csrfMatches, type Session } from './sessions.js';
import type { TechnicianAccounts } from './technicians.js';

const COOKIE = 'fg_session';
const MAX_BODY_BYTES = 8_192;
/** A worker's consent flow must be finished within this time after the technician starts it. */
const FLOW_TIMEOUT_MS = 15 * 60_000;

export interface KioskServerOptions {
  host: string;
  port: number;
  /** PEM certificate and key the kiosk serves HTTPS with: the device's own by default. */
  tls: { cert: string | Buffer; key: string | Buffer };
  service: ConsentService;
  /** Domicile of a worker on the roster, or undefined. */
  domicileOf: (subjectId: string) => Domicile | undefined;
  credentials: CredentialStore;
  accounts: TechnicianAccounts;
  deviceId: string;
  defaultLocale: Locale;
  logger: Logger;
  now?: () => number;
}

interface Flow {
  id: string;
  sessionId: string;
  subjectId: string;
  law: 'macau-pdpa' | 'mainland-pipl';
  locale: Locale;
  steps: ConsentStep[];
  createdAt: number;
}

interface RequestInfo {
  request: IncomingMessage;
  response: ServerResponse;
  url: URL;
  session: Session;
  body: URLSearchParams;
  locale: Locale;
  ip: string | null;
  userAgent: string;
}

/**
 * The LAN enrolment kiosk over HTTPS. A technician signs in and starts a consent for a worker on
 * the roster. The worker reads each form in full, makes the separate, unticked choice for facial
 * recognition, confirms with the worker id and gets the signed receipt. Workers withdraw with their
 * worker id and PIN. Every step is recorded with time, IP address, user agent, device and language.
 */
export class KioskServer {
  private readonly server: https.Server;
  private readonly sessions: SessionStore;
  private readonly flows = new Map<string, Flow>();
  private readonly log: Logger;
  private readonly now: () => number;

  constructor(private readonly options: KioskServerOptions) {
    this.now = options.now ?? Date.now;
    this.sessions = new SessionStore(this.now);
    this.log = options.logger.child({ module: 'kiosk' });
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
    const port = (this.server.address() as AddressInfo).port;
    this.log.info({ host: this.options.host, port }, 'kiosk listening');
    return { port };
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'https://kiosk.invalid');
    let session = this.sessions.get(readCookie(request, COOKIE));
    if (session === undefined) {
      session = this.sessions.create();
      setCookie(response, session.id);
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
      return this.page(info, 403, translate(info.locale, 'error.csrf'), '');
    }

    const flowMatch = /^\/flow\/([0-9a-f-]{36})\/(form\/(\d+)|choice|confirm)$/.exec(url.pathname);
    if (url.pathname === '/' || url.pathname === '/sign-in') return request.method === 'POST' ? this.signIn(info) : this.signInPage(info, undefined);
    if (url.pathname === '/start') return this.start_(info);
    if (url.pathname === '/withdraw') return this.withdraw(info);
    if (flowMatch !== null) return this.flowStep(info, flowMatch[1]!, flowMatch[3] === undefined ? flowMatch[2]! : Number(flowMatch[3]));
    response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    response.end('not found\n');
  }

  private signInPage(info: RequestInfo, error: string | undefined): void {
    const context = this.context(info);
    const fields = `${error === undefined ? '' : `<p class="error">${error}</p>`}${textField('user', translate(info.locale, 'signin.user'))}${textField('password', translate(info.locale, 'signin.password'), 'password')}`;
    this.page(info, error === undefined ? 200 : 401, translate(info.locale, 'signin.heading'), postForm(context, '/sign-in', fields, translate(info.locale, 'signin.submit')));
  }

  private signIn(info: RequestInfo): void {
    const user = info.body.get('user') ?? '';
    const result = this.options.accounts.signIn(user, info.body.get('password') ?? '');
    if (!result.ok) {
      this.log.warn({ user, ip: info.ip, reason: result.reason }, 'technician sign-in failed');
      return this.signInPage(info, translate(info.locale, result.reason === 'locked' ? 'signin.locked' : 'signin.wrong'));
    }
    const promoted = this.sessions.promote(info.session, user);
    setCookie(info.response, promoted.id);
    this.log.info({ user, ip: info.ip }, 'technician signed in');
    redirect(info.response, `/start?lang=${info.locale}`);
  }

  private start_(info: RequestInfo): void {
    if (info.session.technician === null) return this.signInPage(info, translate(info.locale, 'error.signin'));
    let error = '';
    if (info.request.method === 'POST') {
      const subjectId = (info.body.get('subject') ?? '').trim();
      const domicile = this.options.domicileOf(subjectId);
      if (domicile !== undefined) {
        const track = consentTrack(domicile);
        const flow: Flow = { id: randomUUID(), sessionId: info.session.id, subjectId, law: track.law, locale: track.formLocale, steps: [], createdAt: this.now() };
        this.flows.set(flow.id, flow);
        return redirect(info.response, `/flow/${flow.id}/form/0?lang=${track.formLocale}`);
      }
      error = `<p class="error">${translate(info.locale, 'start.unknown', { subject: subjectId })}</p>`;
    }
    const context = this.context(info);
    this.page(info, error === '' ? 200 : 404, translate(info.locale, 'start.heading'), postForm(context, '/start', error + textField('subject', translate(info.locale, 'start.subject')), translate(info.locale, 'start.submit')));
  }

  private async flowStep(info: RequestInfo, flowId: string, step: number | string): Promise<void> {
    const flow = this.flows.get(flowId);
    if (flow === undefined || flow.sessionId !== info.session.id || info.session.technician === null || this.now() - flow.createdAt > FLOW_TIMEOUT_MS) {
      return this.page(info, 404, translate(info.locale, 'error.flow'), '');
    }
    const locale = isLocale(info.body.get('lang') ?? info.url.searchParams.get('lang') ?? '') ? info.locale : flow.locale;
    flow.locale = locale;
    const forms = this.options.service.forms(flow.law, locale);
    const record = (name: string): void => {
      flow.steps.push({ step: name, at: new Date(this.now()), ip: info.ip, userAgent: info.userAgent, deviceId: this.options.deviceId, locale });
    };
    const context = { ...this.context(info), locale };
    const path = `/flow/${flow.id}`;

    if (typeof step === 'number') {
      const form = forms[step];
      if (form === undefined) return this.page(info, 404, translate(locale, 'error.flow'), '');
      if (info.request.method === 'POST') {
        record(`form-shown:${form.id}`);
        return redirect(info.response, step + 1 < forms.length ? `${path}/form/${step + 1}?lang=${locale}` : `${path}/choice?lang=${locale}`);
      }
      const text = `<p><small>${escapeHtml(form.id)} · ${escapeHtml(form.version)} · SHA-256 ${form.sha256}</small></p><pre class="form" lang="${form.locale}">${escapeHtml(form.text)}</pre>`;
      return this.page({ ...info, locale }, 200, escapeHtml(form.text.split('\n')[0]!), text + postForm(context, `${path}/form/${step}`, '', translate(locale, 'form.read')));
    }

    if (step === 'choice') {
      if (info.request.method === 'POST') {
        if (info.body.get('face-recognition') !== 'yes') {
          this.flows.delete(flow.id);
          this.log.info({ flow: flow.id }, 'worker declined facial recognition; nothing recorded');
          return this.page({ ...info, locale }, 200, translate(locale, 'choice.heading'), `<p>${translate(locale, 'declined')}</p>`);
        }
        record(FACE_CONSENT_STEP);
        return redirect(info.response, `${path}/confirm?lang=${locale}`);
      }
      // The box starts unticked and covers facial recognition only, never bundled with other terms.
      const field = `<p><label><input type="checkbox" name="face-recognition" value="yes"> ${translate(locale, 'choice.label')}</label></p><p>${translate(locale, 'choice.help')}</p>`;
      return this.page({ ...info, locale }, 200, translate(locale, 'choice.heading'), postForm(context, `${path}/choice`, field, translate(locale, 'choice.submit')));
    }

    if (info.request.method === 'POST') {
      if ((info.body.get('subject') ?? '').trim() !== flow.subjectId) {
        const field = `<p class="error">${translate(locale, 'confirm.mismatch')}</p>${textField('subject', translate(locale, 'confirm.subject'))}`;
        return this.page({ ...info, locale }, 400, translate(locale, 'confirm.heading'), postForm(context, `${path}/confirm`, field, translate(locale, 'confirm.submit')));
      }
      record(CONFIRM_STEP);
      this.flows.delete(flow.id);
      const consent = await this.options.service.grant(
        { subjectId: flow.subjectId, law: flow.law, method: 'kiosk', witness: info.session.technician, faceRecognitionAccepted: true, steps: flow.steps },
        locale,
      );
      // NOTE: no QR code yet (no QR encoder is installed); the page shows the receipt text to print or copy.
      const body = `<p>${translate(locale, 'receipt.text', { consent: consent.id })}</p><p><code class="receipt" id="receipt">${escapeHtml(consent.receipt)}</code></p>`;
      return this.page({ ...info, locale }, 200, translate(locale, 'receipt.heading'), body);
    }
    const field = textField('subject', translate(locale, 'confirm.subject'));
    return this.page({ ...info, locale }, 200, translate(locale, 'confirm.heading'), postForm(context, `${path}/confirm`, field, translate(locale, 'confirm.submit')));
  }

  private async withdraw(info: RequestInfo): Promise<void> {
    const context = this.context(info);
    const fields = textField('subject', translate(info.locale, 'withdraw.subject')) + textField('pin', translate(info.locale, 'withdraw.pin'), 'password');
    if (info.request.method !== 'POST') {
      return this.page(info, 200, translate(info.locale, 'withdraw.heading'), postForm(context, '/withdraw', fields, translate(info.locale, 'withdraw.submit')));
    }
    const subjectId = (info.body.get('subject') ?? '').trim();
    const failed = (): void =>
      this.page(info, 400, translate(info.locale, 'withdraw.heading'), `<p class="error">${translate(info.locale, 'withdraw.failed')}</p>${postForm(context, '/withdraw', fields, translate(info.locale, 'withdraw.submit'))}`);
    if (!this.options.credentials.checkPin(subjectId, info.body.get('pin') ?? '')) {
      this.log.warn({ ip: info.ip }, 'kiosk withdrawal rejected: wrong worker id or PIN');
      return failed();
    }
    try {
      const result = await this.options.service.withdraw({ subjectId, method: 'kiosk', actor: { kind: 'worker', id: subjectId }, sourceAddress: info.ip });
      const body = `<p>${translate(info.locale, 'withdraw.done', { templates: result.templatesDestroyed })}</p><p><code class="receipt" id="receipt">${escapeHtml(result.receipt)}</code></p>`;
      return this.page(info, 200, translate(info.locale, 'withdraw.heading'), body);
    } catch (error) {
      if (!isFacegateError(error) || error.code !== 'consent.not_found') throw error;
      this.log.warn({ ip: info.ip }, 'kiosk withdrawal rejected: no consent in force');
      return failed();
    }
  }

  private context(info: RequestInfo): PageContext {
    return { locale: info.locale, path: info.url.pathname, csrf: info.session.csrf };
  }

  private page(info: RequestInfo, status: number, heading: string, body: string): void {
    info.response.writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
    info.response.end(layout(this.context(info), heading, body));
  }
}

function readCookie(request: IncomingMessage, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

function setCookie(response: ServerResponse, id: string): void {
  response.setHeader('set-cookie', `${COOKIE}=${id}; Path=/; HttpOnly; Secure; SameSite=Strict`);
}

function redirect(response: ServerResponse, location: string): void {
  response.writeHead(303, { location });
  response.end();
}

function clientAddress(request: IncomingMessage): string | null {
  const address = request.socket.remoteAddress;
  if (address === undefined) return null;
  return address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}

async function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new RangeError(`form body above ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
