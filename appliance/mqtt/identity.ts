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
    .map((line) => line.slice(field.length + 1));
  return values.length === 1 ? values[0] : undefined;
}

function oneLine(name: string): string {
  return name.split('\n').join(', ');
}
