const JWT_RE = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}/g;

/**
 * Removes secrets from text that leaves the process (evidence, logs,
 * reports): anything shaped like a JWT, and each of the given secret strings.
 */
export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(JWT_RE, '[redacted-token]');
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('[redacted]');
  return out;
}

/** Cuts text to at most `maxBytes` UTF-8 bytes (roughly; never splits a character), marking the cut. */
export function cutText(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes) return text;
  let bytes = 0;
  let i = 0;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
    if (bytes > maxBytes) break;
  }
  if (i >= text.length) return text;
  // A slice would keep the whole original alive (V8 slices point into it); kept evidence must be a copy.
  return JSON.parse(JSON.stringify(`${text.slice(0, i)}…[cut ${text.length - i} chars]`)) as string;
}

/** A URL without its user and password, for anything that leaves the process. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return url;
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, url.endsWith('/') ? '/' : '');
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//');
  }
}
