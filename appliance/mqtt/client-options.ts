import fs from 'node:fs';
import type { IClientOptions } from 'mqtt';
import { errorMessage } from '../common/errors.js';
import { mqttError } from './messages.js';

export interface TlsSettings {
  /** CA certificate that signed the broker's certificate (PEM). */
  caFile: string;
  /** Device client certificate (PEM); its CN is the client id and device id. */
  certFile: string;
  /** Device private key (PEM). */
  keyFile: string;
  /** TLS server name to verify, when the URL host is not the name in the broker certificate. */
  servername?: string;
}

export interface BrokerAddress {
  url: string;
  host: string;
  port: number;
}

/** Parse and check a broker URL: only `mqtts://host[:port]` (default port 8883) is accepted. */
export function parseBrokerUrl(url: string): BrokerAddress {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw mqttError('mqtt.bad_url', { url, problem: 'it is not a URL' });
  }
  if (parsed.protocol !== 'mqtts:') throw mqttError('mqtt.bad_url', { url, problem: `the scheme is ${parsed.protocol.replace(/:$/, '')}, not mqtts` });
  if (parsed.hostname === '') throw mqttError('mqtt.bad_url', { url, problem: 'it has no host' });
  if (parsed.username !== '' || parsed.password !== '') throw mqttError('mqtt.bad_url', { url, problem: 'it contains credentials; the device authenticates with its certificate' });
  if (parsed.pathname !== '' && parsed.pathname !== '/') throw mqttError('mqtt.bad_url', { url, problem: `it has a path (${parsed.pathname})` });
  const port = parsed.port === '' ? 8883 : Number(parsed.port);
  // URL keeps the brackets of an IPv6 literal; the socket API wants the bare address.
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  return { url: `mqtts://${parsed.host}${parsed.port === '' ? ':8883' : ''}`, host, port };
}

/** Read the CA, certificate and key, at every connection attempt so renewed files are picked up. */
export function readTlsFiles(tls: TlsSettings): Pick<IClientOptions, 'ca' | 'cert' | 'key'> {
  const read = (file: string, role: string): Buffer => {
    try {
      return fs.readFileSync(file);
    } catch (error) {
      throw mqttError('mqtt.tls_file_unreadable', { file, role, detail: errorMessage(error) }, error);
    }
  };
  return { ca: read(tls.caFile, 'CA certificate'), cert: read(tls.certFile, 'client certificate'), key: read(tls.keyFile, 'client key') };
}
