import { request as httpRequest, type ClientRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { formatNetworkError } from '../core/network-errors.js';

/**
 * Checks that something answers HTTP at `baseUrl` (any status will do): a
 * refused or silent target at start is exit 4, not a run full of errors.
 * Plain node:http, which the WebSocket client loads anyway: a run that makes
 * no REST call never loads the REST client's stack.
 */
export function checkReachable(
  baseUrl: string,
  timeoutMs: number,
): Promise<{ ok: true } | { ok: false; reason: string; code?: string }> {
  return new Promise((resolve) => {
    let req: ClientRequest;
    const timer = setTimeout(() => {
      finish({ ok: false, reason: `no answer within ${timeoutMs}ms` });
    }, timeoutMs);
    let done = false;
    const finish = (r: { ok: true } | { ok: false; reason: string; code?: string }): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req?.destroy();
      resolve(r);
    };
    try {
      const url = new URL(`${baseUrl}/`);
      req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method: 'GET', agent: false }, (res) => {
        res.resume();
        finish({ ok: true });
      });
    } catch (err) {
      finish({ ok: false, reason: (err as Error).message });
      return;
    }
    req.on('error', (err: Error & { code?: string }) => {
      finish({ ok: false, reason: formatNetworkError(err.code, err.message), ...(err.code ? { code: err.code } : {}) });
    });
    req.end();
  });
}
