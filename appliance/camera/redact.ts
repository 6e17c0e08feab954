// `scheme://user:password@` or `scheme://user@` at the start of a URL anywhere in a text.
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@'"]+@/gi;

/** Replace the user-info part of every URL in `text` with `***`. */
export function redactUrlCredentials(text: string): string {
  return text.replace(URL_USERINFO, '$1***@');
}

/**
 * Build a redactor for the credentials of `url`: it removes user-info from every URL in a text
 * and also any bare occurrence of its password (plain or percent-decoded), because programs
 * such as ffmpeg can print it outside a URL.
 */
export function credentialRedactor(url: string | undefined): (text: string) => string {
  const secrets = url === undefined ? [] : urlPasswords(url);
  return (text) => {
    let result = redactUrlCredentials(text);
    for (const secret of secrets) result = result.split(secret).join('***');
    return result;
  };
}

function urlPasswords(url: string): string[] {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [];
  }
  const found = new Set<string>();
  const raw = parsed.password;
  if (raw === '') return [];
  found.add(raw);
  try {
    found.add(decodeURIComponent(raw));
  } catch {
    // A malformed percent-escape stays as written; the raw form is already in the set.
  }
  // Longest first, so the decoded and encoded forms never leave a fragment behind.
  return [...found].sort((a, b) => b.length - a.length);
}
