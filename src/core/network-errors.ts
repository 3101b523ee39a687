/**
 * Sentences for the network and TLS error codes Node, undici and ws report,
 * so a person reads "the host name does not resolve (ENOTFOUND)" rather
 * than a bare code. The code stays in parentheses for searching and scripts.
 */

const SENTENCES: Readonly<Record<string, string>> = {
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name could not be resolved: DNS did not answer in time (a temporary failure)',
  EAI_FAIL: 'the host name could not be resolved: DNS failed',
  ECONNREFUSED: 'the connection was refused: nothing listens on that host and port',
  ECONNRESET: 'the connection was reset by the other end',
  ECONNABORTED: 'the connection was aborted',
  EPIPE: 'the other end closed the connection while data was being sent',
  ETIMEDOUT: 'the connection timed out: the host did not answer',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out: the host did not answer',
  UND_ERR_HEADERS_TIMEOUT: 'the server accepted the request but sent no answer in time',
  UND_ERR_BODY_TIMEOUT: 'the server stopped sending its answer part-way',
  UND_ERR_SOCKET: 'the connection was closed by the other end',
  EHOSTUNREACH: 'the host cannot be reached: there is no route to it',
  ENETUNREACH: 'the network is unreachable from this machine',
  EADDRNOTAVAIL: 'the address cannot be used from this machine',
  EPROTO: 'the TLS handshake failed: the port may speak plain HTTP (try http://) or an unsupported TLS version',
  ERR_SSL_WRONG_VERSION_NUMBER: 'the TLS handshake failed: the port seems to speak plain HTTP (try http://)',
  CERT_HAS_EXPIRED: "the server's TLS certificate has expired",
  CERT_NOT_YET_VALID: "the server's TLS certificate is not valid yet (check this machine's clock)",
  DEPTH_ZERO_SELF_SIGNED_CERT: "the server's TLS certificate is self-signed, so it is not trusted",
  SELF_SIGNED_CERT_IN_CHAIN: "the server's TLS certificate chain ends in a self-signed certificate that is not trusted",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    "the server's TLS certificate cannot be verified: its issuer is unknown here (an incomplete chain, or a private CA)",
  UNABLE_TO_GET_ISSUER_CERT:
    "the server's TLS certificate cannot be verified: its issuer is unknown here (a private CA?)",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    "the server's TLS certificate cannot be verified: its issuer is unknown here (a private CA?)",
  ERR_TLS_CERT_ALTNAME_INVALID: "the server's TLS certificate is not for this host name",
};

/** Codes whose remedy is trusting a CA rather than fixing the URL or starting the backend. */
const UNTRUSTED_CERT = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);

/**
 * A sentence for a network error code, ending in the code in parentheses:
 * `the host name does not resolve (ENOTFOUND)`. An unknown code gets
 * `fallback` (the error's own message) or "a network error".
 */
export function formatNetworkError(code: string | undefined, fallback?: string): string {
  const sentence = code === undefined ? undefined : SENTENCES[code];
  if (sentence) return `${sentence} (${code})`;
  const text = fallback?.trim() || 'a network error';
  return code && !text.includes(code) ? `${text} (${code})` : text;
}

/** What to do about a target that failed with `code`, for the hint under the message. */
export function formatNetworkHint(code: string | undefined): string {
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_FAIL')
    return 'check the host name in target.url / --target (and that this machine can resolve it)';
  if (code !== undefined && UNTRUSTED_CERT.has(code))
    return "trust the server's CA with NODE_EXTRA_CA_CERTS=/path/to/ca.pem, or use a certificate from a public CA";
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID' || code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return "renew or fix the server's certificate, or check the host name in target.url / --target";
  if (code === 'EPROTO' || code === 'ERR_SSL_WRONG_VERSION_NUMBER')
    return 'check the scheme in target.url / --target (http:// or https://)';
  return 'start the backend (or `simulate serve`), or check target.url / --target';
}
