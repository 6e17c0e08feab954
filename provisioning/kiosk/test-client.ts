import https from 'node:https';

export interface KioskReply {
  status: number;
  location: string | undefined;
  body: string;
}

/** A browser stand-in for kiosk tests: keeps the session cookie and the last CSRF token it saw. */
export class KioskClient {
  cookie: string | undefined;
  csrf = '';

  constructor(
    private readonly port: number,
    private readonly ca: Buffer,
    private readonly userAgent: string,
  ) {}

  request(method: 'GET' | 'POST', target: string, fields: Record<string, string> = {}): Promise<KioskReply> {
    const body = method === 'POST' ? new URLSearchParams(fields).toString() : undefined;
    return new Promise((resolve, reject) => {
      const request = https.request(
        {
          host: '127.0.0.1',
          port: this.port,
          path: target,
          method,
          ca: this.ca,
          headers: {
            'user-agent': this.userAgent,
            ...(this.cookie === undefined ? {} : { cookie: this.cookie }),
            ...(body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) }),
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const setCookie = response.headers['set-cookie']?.[0];
            if (setCookie !== undefined) this.cookie = setCookie.split(';')[0];
            const text = Buffer.concat(chunks).toString('utf8');
            const token = /name="csrf" value="([^"]+)"/.exec(text);
            if (token !== null) this.csrf = token[1]!;
            resolve({ status: response.statusCode!, location: response.headers.location, body: text });
          });
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  }

  get(target: string): Promise<KioskReply> {
    return this.request('GET', target);
  }

  post(target: string, fields: Record<string, string>): Promise<KioskReply> {
    return this.request('POST', target, { csrf: this.csrf, ...fields });
  }

  /** Sign in as a technician and open the start page, whose CSRF token later posts use. */
  async signIn(user: string, password: string, locale = 'en'): Promise<KioskReply> {
    await this.get(`/?lang=${locale}`);
    const reply = await this.post('/sign-in', { user, password, lang: locale });
    if (reply.status !== 303) throw new Error(`sign-in as ${user} returned ${reply.status}, expected 303`);
    return this.get(reply.location!);
  }
}
