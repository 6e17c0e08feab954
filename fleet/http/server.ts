import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import type { Logger } from '../../appliance/common/logger.js';
import { formatMacauTime } from '../../protocol/wall-time.js';
import { parseDay, payrollCsv } from '../payroll.js';
import type { FleetStore } from '../store.js';
import { dashboardPage } from './page.js';
import type { DashboardLocale } from './texts.js';

/**
 * The dashboard's web server: the page, a small JSON API, the payroll CSV and a Server-Sent
 * Events stream. It binds to loopback by default; give it a token before exposing it elsewhere.
 *
 *   GET /                         dashboard (?lang=en|zh-Hant, else Accept-Language, else the configured default)
 *   GET /api/devices              devices with state, versions, outbox depth, clock and chain state
 *   GET /api/events?limit=N       latest stored attendance events (at most 500)
 *   GET /api/alerts?open=1        alerts, newest first
 *   GET /api/attendance?from&to   first in / last out per subject and day (YYYY-MM-DD, inclusive)
 *   GET /export/attendance.csv    the same as CSV
 *   GET /api/stream               live `attendance`, `alert` and `device` events
 */

export interface DashboardServerOptions {
  store: FleetStore;
  logger: Logger;
  host: string;
  port: number;
  locale: DashboardLocale;
  token?: string | undefined;
  /** Health details for /api/health. */
  health(): Record<string, unknown>;
  now?: () => number;
}

export class DashboardServer {
  private server: http.Server | undefined;
  private readonly clients = new Set<http.ServerResponse>();
  private readonly log: Logger;
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(private readonly options: DashboardServerOptions) {
    this.log = options.logger.child({ module: 'dashboard' });
  }

  async start(): Promise<void> {
    const server = http.createServer((request, response) => {
      this.route(request, response).catch((error: unknown) => {
        this.log.error({ err: error, url: request.url }, 'dashboard request failed');
        if (!response.headersSent) send(response, 500, 'text/plain; charset=utf-8', 'Internal error; see the fleet monitor log.');
        else response.end();
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => resolve());
    });
    this.heartbeat = setInterval(() => this.broadcast('ping', {}), 15_000);
    this.log.info({ url: this.url }, 'dashboard listening');
  }

  get url(): string {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (address === undefined || address === null) return '';
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}`;
  }

  /** Send one Server-Sent Event to every open dashboard. */
  broadcast(event: string, data: unknown): void {
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const client of this.clients) client.write(frame);
  }

  async stop(): Promise<void> {
    clearInterval(this.heartbeat);
    for (const client of this.clients) client.end();
    this.clients.clear();
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private authorised(request: http.IncomingMessage, url: URL): boolean {
    const { token } = this.options;
    if (token === undefined) return true;
    const header = request.headers.authorization;
    const given = header?.startsWith('Bearer ') ? header.slice(7) : (url.searchParams.get('token') ?? '');
    const a = Buffer.from(given);
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private async route(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://dashboard');
    if (request.method !== 'GET') return send(response, 405, 'text/plain; charset=utf-8', 'Only GET is served.');
    if (!this.authorised(request, url)) return send(response, 401, 'text/plain; charset=utf-8', 'A valid token is required: add ?token=... or an Authorization: Bearer header.');
    const { store } = this.options;

    switch (url.pathname) {
      case '/':
        return send(response, 200, 'text/html; charset=utf-8', dashboardPage(this.locale(request, url), this.options.token));
      case '/api/health':
        return json(response, 200, { ok: true, ...this.options.health() });
      case '/api/devices':
        return json(response, 200, await store.devices());
      case '/api/events': {
        const limit = Math.min(500, Math.max(1, Number(url.searchParams.get('limit') ?? 50) || 50));
        return json(response, 200, await store.recentEvents(limit));
      }
      case '/api/alerts':
        return json(response, 200, await store.alerts({ openOnly: url.searchParams.get('open') === '1' }));
      case '/api/attendance':
      case '/export/attendance.csv': {
        const today = formatMacauTime(this.options.now?.() ?? Date.now()).slice(0, 10);
        const from = parseDay(url.searchParams.get('from'), today);
        const to = parseDay(url.searchParams.get('to'), from ?? today);
        if (from === undefined || to === undefined) return json(response, 400, { error: 'from and to must be dates as YYYY-MM-DD' });
        const rows = await store.attendance(from, to);
        if (url.pathname.endsWith('.csv')) {
          response.setHeader('Content-Disposition', `attachment; filename="attendance-${from}-${to}.csv"`);
          return send(response, 200, 'text/csv; charset=utf-8', payrollCsv(rows));
        }
        return json(
          response,
          200,
          rows.map((row) => ({
            day: row.day,
            subject: row.subject,
            firstIn: row.firstInMs === null ? null : formatMacauTime(row.firstInMs),
            lastOut: row.lastOutMs === null ? null : formatMacauTime(row.lastOutMs),
            workedMinutes: row.firstInMs !== null && row.lastOutMs !== null && row.lastOutMs > row.firstInMs ? Math.floor((row.lastOutMs - row.firstInMs) / 60_000) : null,
            clockIns: row.clockIns,
          })),
        );
      }
      case '/api/stream':
        response.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
        response.write('retry: 2000\n\n');
        this.clients.add(response);
        request.on('close', () => this.clients.delete(response));
        return;
      default:
        return send(response, 404, 'text/plain; charset=utf-8', `No page at ${url.pathname}.`);
    }
  }

  private locale(request: http.IncomingMessage, url: URL): DashboardLocale {
    const asked = url.searchParams.get('lang');
    if (asked === 'en' || asked === 'zh-Hant') return asked;
    const accept = (request.headers['accept-language'] ?? '').toLowerCase();
    const first = accept.split(',')[0]?.trim() ?? '';
    if (first.startsWith('zh')) return 'zh-Hant';
    if (first.startsWith('en')) return 'en';
    return this.options.locale;
  }
}

function send(response: http.ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', 'Content-Security-Policy': "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'" });
  response.end(body);
}

function json(response: http.ServerResponse, status: number, value: unknown): void {
  send(response, status, 'application/json; charset=utf-8', JSON.stringify(value));
}
