import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import { errorMessage } from '../common/errors.js';
import { idProblem } from '../../protocol/topics.js';
import { mqttError } from './messages.js';

/** Identity of the device at the broker: the CN of its client certificate, also its MQTT client id and device id. */
export interface ClientIdentity {
  commonName: string;
  issuer: string;
  validFrom: Date;
  validTo: Date;
  fingerprint256: string;
}

/** Read the device certificate and return its CN; throws FacegateError `mqtt.cert_*` naming the file. */
export function readClientIdentity(certFile: string): ClientIdentity {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(fs.readFileSync(certFile));
  } catch (error) {
    throw mqttError('mqtt.cert_unreadable', { file: certFile, detail: errorMessage(error) }, error);
  }

  const commonName = subjectField(certificate.subject, 'CN');
  if (commonName === undefined) throw mqttError('mqtt.cert_no_cn', { file: certFile, subject: oneLine(certificate.subject) });
  const problem = idProblem(commonName);
  if (problem !== undefined) throw mqttError('mqtt.cert_bad_cn', { file: certFile, cn: commonName, problem });

  return {
    commonName,
    issuer: oneLine(certificate.issuer),
    validFrom: new Date(certificate.validFrom),
    validTo: new Date(certificate.validTo),
    fingerprint256: certificate.fingerprint256,
  };
}

/** Return one field of an X.509 subject as Node prints it (`CN=gate-01\nO=Example`); undefined when absent or repeated. */
function subjectField(subject: string, field: string): string | undefined {
  const values = subject
    .split('\n')
    .filter((line) => line.startsWith(`${field}=`))
    .map((line) => unescapeValue(line.slice(field.length + 1)));
  return values.length === 1 ? values[0] : undefined;
}

/** Undo the backslash escapes Node uses in subject values (`gate\+01`, `\C3\A9`), so the id check gets the real characters. */
function unescapeValue(value: string): string {
  const chars = Array.from(value); // code points, so a character outside the BMP stays whole
  const bytes: number[] = [];
  for (let i = 0; i < chars.length; i++) {
    const hex = chars[i] === '\\' ? /^[0-9A-Fa-f]{2}$/.exec(chars.slice(i + 1, i + 3).join('')) : null;
    if (hex !== null) {
      bytes.push(Number.parseInt(hex[0], 16));
      i += 2;
      continue;
    }
    if (chars[i] === '\\' && i + 1 < chars.length) i += 1;
    bytes.push(...Buffer.from(chars[i]!, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

function oneLine(name: string): string {
  return name.split('\n').join(', ');
}
