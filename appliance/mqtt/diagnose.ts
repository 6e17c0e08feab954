import { ReasonCodes } from 'mqtt';
import { errorMessage } from '../common/errors.js';

/**
 * Turn what mqtt.js and Node's TLS report into one log line a technician can act on: what went
 * wrong, in which file or setting, and what to check.
 */

export type FailureKind = 'tls-server-certificate' | 'tls-client-certificate' | 'refused' | 'network' | 'timeout' | 'protocol';

export interface Diagnosis {
  kind: FailureKind;
  summary: string;
  hint: string;
  /** Node or OpenSSL error code, or the MQTT reason code as hex. */
  code: string;
}

export interface TlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
}

const SERVER_NOT_TRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
]);

export function diagnose(error: unknown, broker: string, files: TlsFiles): Diagnosis {
  const code = errorCode(error);
  const detail = errorMessage(error);

  if (typeof code === 'number') {
    const reason = ReasonCodes[code as keyof typeof ReasonCodes] ?? 'unknown reason';
    return {
      kind: 'refused',
      code: `0x${code.toString(16)}`,
      summary: `the broker ${broker} refused the connection: ${reason} (0x${code.toString(16)})`,
      hint:
        code === 0x86 || code === 0x87 || code === 0x8a
          ? `check that the broker maps the certificate ${files.certFile} to a user (use_identity_as_username) and that its ACL lets this device in`
          : 'check the broker log for the reason',
    };
  }

  if (SERVER_NOT_TRUSTED.has(code)) {
    return {
      kind: 'tls-server-certificate',
      code,
      summary: `the broker ${broker} presented a certificate that is not signed by the CA in ${files.caFile} (${detail})`,
      hint: `set mqtt.tls.ca to the CA that signed the broker certificate; if the CA is right, someone else may be answering at ${broker}`,
    };
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return {
      kind: 'tls-server-certificate',
      code,
      summary: `the broker certificate does not name the host in ${broker} (${detail})`,
      hint: 'use the host name the broker certificate was issued for in the broker URL',
    };
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return {
      kind: 'tls-server-certificate',
      code,
      summary: `the broker certificate is ${code === 'CERT_HAS_EXPIRED' ? 'expired' : 'not yet valid'} by this device's clock (${detail})`,
      hint: 'check the clock first (timedatectl: is NTP synchronised?), then the broker certificate dates',
    };
  }
  if (/ALERT_UNKNOWN_CA|ALERT_BAD_CERTIFICATE|ALERT_CERTIFICATE_(EXPIRED|REVOKED|UNKNOWN)|ALERT_ACCESS_DENIED|ALERT_HANDSHAKE_FAILURE/.test(code)) {
    return {
      kind: 'tls-client-certificate',
      code,
      summary: `the broker ${broker} rejected the device certificate ${files.certFile} (${detail})`,
      hint: 'the certificate must be signed by a CA the broker trusts, be within its validity dates and match the key in ' + files.keyFile,
    };
  }
  if (code === 'ECONNREFUSED') {
    return { kind: 'network', code, summary: `nothing accepts connections at ${broker}`, hint: 'check that the broker is running and the port in the broker URL' };
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return { kind: 'network', code, summary: `the broker host in ${broker} cannot be resolved (${code})`, hint: 'check DNS on the device and the host name in the broker URL' };
  }
  if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || /timeout/i.test(detail)) {
    return { kind: 'timeout', code, summary: `the broker ${broker} did not answer (${detail})`, hint: 'check the network route and firewall to the broker' };
  }
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    return {
      kind: 'network',
      code,
      summary: `the connection to ${broker} was reset (${detail})`,
      hint: 'if this repeats during connection set-up, the broker may be rejecting the device certificate; check the broker log',
    };
  }
  return { kind: 'protocol', code, summary: `the connection to ${broker} failed: ${detail}`, hint: 'check the broker log for this client id' };
}

function errorCode(error: unknown): string | number {
  if (error !== null && typeof error === 'object' && 'code' in error) {
    const code = (error as { code: unknown }).code;
    if (typeof code === 'number' || typeof code === 'string') return code;
  }
  return 'UNKNOWN';
}
