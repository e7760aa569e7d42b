export type TransportKind =
  | 'dns'
  | 'refused'
  | 'timeout'
  | 'reset'
  | 'tls-untrusted'
  | 'tls-hostname'
  | 'tls-expired'
  | 'other';

export type TransportFault = {
  kind: TransportKind;
  code: string;
  summary: string;
  hint: string;
};

const TLS_UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

/** Names a request error by what happened on the network, never as a status. */
export function classifyTransport(code: string | undefined, host: string): TransportFault {
  const c = code ?? 'UNKNOWN';
  if (c === 'ENOTFOUND' || c === 'EAI_AGAIN') {
    return fault('dns', c, `host name ${host} does not resolve`, 'check baseUrl in the environment and the DNS of this machine');
  }
  if (c === 'ECONNREFUSED') {
    return fault('refused', c, `${host} refused the connection`, 'check that the Veeam Backup Server RESTful API service runs and listens on that port (9419 by default)');
  }
  if (c === 'ETIMEDOUT' || c === 'ESOCKETTIMEDOUT' || c === 'ECONNABORTED') {
    return fault('timeout', c, `${host} did not answer in time`, 'check the firewall and the port, or raise --timeout-request');
  }
  if (c === 'ECONNRESET' || c === 'EPIPE' || c === 'ECONNRESET_MID_RESPONSE') {
    return fault('reset', c, `${host} closed the connection mid-request`, 'check for a proxy or load balancer in between, then retry');
  }
  if (TLS_UNTRUSTED.has(c)) {
    return fault('tls-untrusted', c, `the certificate of ${host} is not trusted`, "export the VBR server's certificate and pass it with --ca-cert <pem>");
  }
  if (c === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return fault('tls-hostname', c, `the certificate of ${host} is for another host name`, 'use the host name the certificate names in baseUrl, or reissue the certificate');
  }
  if (c === 'CERT_HAS_EXPIRED' || c === 'CERT_NOT_YET_VALID') {
    return fault('tls-expired', c, `the certificate of ${host} has expired or is not yet valid`, 'renew the certificate on the VBR server');
  }
  return fault('other', c, `the request to ${host} failed (${c})`, 'run again with --verbose for details');
}

export function isTlsFault(kind: TransportKind): boolean {
  return kind.startsWith('tls-');
}

function fault(kind: TransportKind, code: string, summary: string, hint: string): TransportFault {
  return { kind, code, summary, hint };
}
