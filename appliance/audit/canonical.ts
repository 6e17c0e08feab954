/**
 * Canonical JSON for hashing: object keys sorted by UTF-16 code units, no white space, numbers and
 * strings as `JSON.stringify` writes them. For the values an audit entry holds (strings, finite
 * numbers, booleans, null, plain objects and arrays) this is the JSON Canonicalization Scheme of
 * RFC 8785, so another implementation can recompute every hash from an export.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`Cannot hash the non-finite number ${value}.`);
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, member]) => member !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`).join(',')}}`;
    }
    default:
      throw new TypeError(`Cannot hash a value of type ${typeof value}.`);
  }
}
