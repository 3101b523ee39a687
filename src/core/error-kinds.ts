/** The `kind` tag values of the `errors` counter, and how failures map to them. */

/** Kinds of failed operations (the `errors` counter). */
export const ERROR_KINDS = [
  'connect_refused',
  'connect_reset',
  'connect_timeout',
  'auth_rejected',
  'upgrade_failed',
  'http_4xx',
  'http_5xx',
  'rate_limited',
  'not_found',
  'timeout',
  'reset',
  'network',
  'bad_response',
  'run_error',
  'agent_error',
  'disconnected',
  'frame_too_large',
  'malformed_frame',
  'token_failed',
  'no_connection',
  'no_thread',
  'no_run',
] as const;
/** One of {@link ERROR_KINDS}. */
export type ErrorKind = (typeof ERROR_KINDS)[number];

/** The error kind of an HTTP status, or undefined for a success. */
export function computeHttpErrorKind(status: number): ErrorKind | undefined {
  if (status < 400) return undefined;
  if (status === 401 || status === 403) return 'auth_rejected';
  if (status === 404) return 'not_found';
  if (status === 429) return 'rate_limited';
  return status >= 500 ? 'http_5xx' : 'http_4xx';
}

/** The error kind of a Node/undici network error code. */
export function computeNetworkErrorKind(code: string | undefined): ErrorKind {
  switch (code) {
    case 'ECONNREFUSED':
      return 'connect_refused';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
      return 'reset';
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
    case 'ABORT_ERR':
      return 'timeout';
    default:
      return 'network';
  }
}
