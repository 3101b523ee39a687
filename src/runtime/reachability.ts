import { request } from 'undici';

/**
 * Checks that something answers HTTP at `baseUrl` (any status will do): a
 * refused or silent target at start is exit 4, not a run full of errors.
 */
export async function checkReachable(baseUrl: string, timeoutMs: number): Promise<{ ok: true } | { ok: false; reason: string }> {
  try {
    const res = await request(`${baseUrl}/`, { method: 'GET', headersTimeout: timeoutMs, bodyTimeout: timeoutMs, signal: AbortSignal.timeout(timeoutMs) });
    await res.body.dump();
    return { ok: true };
  } catch (err) {
    const e = err as { code?: unknown; name?: string; message?: string };
    // A timeout's DOMException carries a numeric code; its name says what happened.
    if (e.name === 'TimeoutError' || e.name === 'AbortError' || /timeout/i.test(String(e.code))) return { ok: false, reason: `no answer within ${timeoutMs}ms` };
    const code = typeof e.code === 'string' ? e.code : e.name ?? 'error';
    return { ok: false, reason: code === 'ECONNREFUSED' ? 'connection refused' : code };
  }
}
