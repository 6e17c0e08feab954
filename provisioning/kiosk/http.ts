import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Locale } from '../../appliance/i18n/locale.js';
import type { Session } from './sessions.js';

export const SESSION_COOKIE = 'fg_session';
const MAX_BODY_BYTES = 8_192;

/** Only the kiosk's own script, styles inline, requests to the kiosk itself; nothing from elsewhere. */
const CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** One request with what every handler needs: its session, form body, language and origin. */
export interface RequestInfo {
  request: IncomingMessage;
  response: ServerResponse;
  url: URL;
  session: Session;
  body: URLSearchParams;
  locale: Locale;
  ip: string | null;
  userAgent: string;
}

export function sendHtml(response: ServerResponse, status: number, html: string): void {
  response.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  response.end(html);
}

export function sendJson(response: ServerResponse, status: number, value: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  response.end(JSON.stringify(value));
}

export function sendScript(response: ServerResponse, script: string): void {
  response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
  response.end(script);
}

export function sendNotFound(response: ServerResponse): void {
  response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
  response.end('not found\n');
}

export function redirect(response: ServerResponse, location: string): void {
  response.writeHead(303, { location });
  response.end();
}

export function readCookie(request: IncomingMessage, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

export function setSessionCookie(response: ServerResponse, id: string): void {
  response.setHeader('set-cookie', `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; Secure; SameSite=Strict`);
}

export function clientAddress(request: IncomingMessage): string | null {
  const address = request.socket.remoteAddress;
  if (address === undefined) return null;
  return address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}

export async function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new RangeError(`form body above ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
