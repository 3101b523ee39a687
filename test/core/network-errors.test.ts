import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatNetworkError, formatNetworkHint } from '../../src/core/network-errors.js';

describe('formatNetworkError', () => {
  test('an unknown host is a sentence that keeps the code', () => {
    assert.equal(formatNetworkError('ENOTFOUND'), 'the host name does not resolve (ENOTFOUND)');
    assert.match(formatNetworkHint('ENOTFOUND'), /check the host name in target\.url \/ --target/);
  });

  test('DNS trouble, refusals, timeouts and unreachable networks are sentences too', () => {
    assert.equal(
      formatNetworkError('EAI_AGAIN'),
      'the host name could not be resolved: DNS did not answer in time (a temporary failure) (EAI_AGAIN)',
    );
    assert.equal(
      formatNetworkError('ECONNREFUSED'),
      'the connection was refused: nothing listens on that host and port (ECONNREFUSED)',
    );
    assert.equal(formatNetworkError('ETIMEDOUT'), 'the connection timed out: the host did not answer (ETIMEDOUT)');
    assert.equal(
      formatNetworkError('UND_ERR_CONNECT_TIMEOUT'),
      'the connection timed out: the host did not answer (UND_ERR_CONNECT_TIMEOUT)',
    );
    assert.equal(
      formatNetworkError('EHOSTUNREACH'),
      'the host cannot be reached: there is no route to it (EHOSTUNREACH)',
    );
    assert.match(formatNetworkHint('ECONNREFUSED'), /start the backend/);
  });

  test('certificate errors say what is wrong with the certificate and how to trust a private CA', () => {
    assert.equal(
      formatNetworkError('DEPTH_ZERO_SELF_SIGNED_CERT'),
      "the server's TLS certificate is self-signed, so it is not trusted (DEPTH_ZERO_SELF_SIGNED_CERT)",
    );
    assert.equal(formatNetworkError('CERT_HAS_EXPIRED'), "the server's TLS certificate has expired (CERT_HAS_EXPIRED)");
    assert.equal(
      formatNetworkError('ERR_TLS_CERT_ALTNAME_INVALID'),
      "the server's TLS certificate is not for this host name (ERR_TLS_CERT_ALTNAME_INVALID)",
    );
    for (const code of [
      'DEPTH_ZERO_SELF_SIGNED_CERT',
      'SELF_SIGNED_CERT_IN_CHAIN',
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    ]) {
      assert.match(formatNetworkError(code), /^the server's TLS certificate .+ \(\w+\)$/, code);
      assert.match(formatNetworkHint(code), /NODE_EXTRA_CA_CERTS/, code);
    }
  });

  test('an unknown code falls back to the given text, still naming the code once', () => {
    assert.equal(formatNetworkError('EWEIRD', 'something odd happened'), 'something odd happened (EWEIRD)');
    assert.equal(formatNetworkError('EWEIRD', 'connect EWEIRD 10.0.0.1:80'), 'connect EWEIRD 10.0.0.1:80');
    assert.equal(formatNetworkError('EWEIRD'), 'a network error (EWEIRD)');
    assert.equal(formatNetworkError(undefined), 'a network error');
  });
});
