import { isIP } from 'node:net';

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Host name of a broker URL, lower-case and without IPv6 brackets, or undefined when the URL is invalid. */
export function brokerHost(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const host = parsed.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return host === '' ? undefined : host;
}

/**
 * Check that `pattern` is a valid `residency.allowedBrokers` entry: a host name, an IP address,
 * or `*.domain` (every host below domain, not domain itself). Schemes, ports and paths are invalid.
 */
export function isValidBrokerPattern(pattern: string): boolean {
  if (isIP(pattern) !== 0) return true;
  const wildcard = pattern.startsWith('*.');
  const labels = (wildcard ? pattern.slice(2) : pattern).toLowerCase().split('.');
  if (pattern.length > 253 || !labels.every((label) => LABEL.test(label))) return false;
  // `*.mo` would allow a whole top-level domain.
  return !wildcard || labels.length >= 2;
}

/** Check whether `host` matches one of the patterns, ignoring case. */
export function isBrokerAllowed(host: string, patterns: readonly string[]): boolean {
  const target = host.toLowerCase();
  return patterns.some((raw) => {
    const pattern = raw.toLowerCase();
    if (!pattern.startsWith('*.')) return target === pattern;
    const suffix = pattern.slice(1);
    return target.endsWith(suffix) && target.length > suffix.length;
  });
}
