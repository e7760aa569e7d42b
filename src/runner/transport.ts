export type TransportKind =
  | 'dns'
  | 'refused'
  | 'unreachable'
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

/** What else the runner knows of a request error besides its code. */
export type RequestErrorDetail = {
  /** The bound that ran out, for the timeout codes. */
  timeoutMs?: number;
};

/**
 * The code the runner gives a request whose answer began but did not end
 * within the request bound (a server that drips its answer byte by byte).
 */
export const RESPONSE_TIMEOUT_CODE = 'ERR_RESPONSE_TIMEOUT';

const TLS_UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

const SELF_SIGNED = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN']);

const TLS_HINT =
  "export the VBR server's certificate as Base-64 X.509 (PEM) and pass it with --ca-cert <file>";

/**
 * Names a request error by what happened on the network, never as a status.
 * `host` is host and port, without any credentials.
 */
export function classifyTransport(
  code: string | undefined,
  host: string,
  detail: RequestErrorDetail = {},
): TransportFault {
  const c = code ?? 'UNKNOWN';
  const within = detail.timeoutMs === undefined ? 'in time' : `within ${detail.timeoutMs} ms`;

  if (c === 'ENOTFOUND' || c === 'EAI_AGAIN' || c === 'EAI_FAIL' || c === 'EAI_NONAME') {
    return fault('dns', c, `cannot resolve the host name ${hostName(host)}`, 'check the host name in baseUrl, and the DNS settings of this machine');
  }
  if (c === 'ECONNREFUSED') {
    return fault('refused', c, `${host} refused the connection`, 'check that the Veeam Backup Server RESTful API service runs and listens on that port (9419 by default)');
  }
  if (c === 'EHOSTUNREACH' || c === 'ENETUNREACH') {
    return fault('unreachable', c, `${host} cannot be reached from this machine`, 'check the network route, VPN or firewall between this machine and the server');
  }
  // postman-request: ETIMEDOUT while connecting, ESOCKETTIMEDOUT when a
  // connected server goes quiet; both use the one `timeoutRequest` bound.
  if (c === 'ETIMEDOUT') {
    return fault('timeout', c, `${host} did not accept a connection ${within}`, 'check the host, the port and any firewall in between, or raise --timeout-request');
  }
  if (c === 'ESOCKETTIMEDOUT' || c === 'ECONNABORTED') {
    return fault('timeout', c, `${host} accepted the connection but sent nothing ${within}`, 'check that the REST API service on the server is not hung or overloaded, or raise --timeout-request');
  }
  if (c === RESPONSE_TIMEOUT_CODE) {
    return fault('timeout', c, `${host} began to answer but did not finish ${within}`, 'check the network path and the load on the server, or raise --timeout-request');
  }
  if (c === 'ECONNRESET' || c === 'EPIPE') {
    return fault('reset', c, `${host} reset the connection before the answer was complete`, 'check for a proxy, load balancer or firewall in between, then run again');
  }
  if (TLS_UNTRUSTED.has(c)) {
    const why = SELF_SIGNED.has(c) ? 'self-signed' : 'unknown issuer';
    const hint = SELF_SIGNED.has(c)
      ? TLS_HINT
      : 'the certificate was issued by a CA this machine does not trust: pass that CA\'s certificate (or the whole chain, as openssl s_client -showcerts prints it) with --ca-cert <file>';
    return fault('tls-untrusted', c, `the certificate of ${host} is not trusted (${why})`, hint);
  }
  if (c === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return fault('tls-hostname', c, `the certificate of ${host} is for another host name`, 'use in baseUrl a host name the certificate names, or reissue the certificate for this one');
  }
  if (c === 'CERT_HAS_EXPIRED') {
    return fault('tls-expired', c, `the certificate of ${host} has expired`, "renew the VBR server's certificate, then export the new one for --ca-cert");
  }
  if (c === 'CERT_NOT_YET_VALID') {
    return fault('tls-expired', c, `the certificate of ${host} is not valid yet`, "check the clocks of this machine and of the server, or wait until the certificate's start date");
  }
  return fault('other', c, `the request to ${host} failed`, 'run again with --verbose for details');
}

export function isTlsFault(kind: TransportKind): boolean {
  return kind.startsWith('tls-');
}

export type ServerFaultKind = 'redirect' | 'server-error' | 'html' | 'not-json' | 'no-access-token';

/** An answer that came back but is not one the REST API gives. */
export type ServerFault = {
  kind: ServerFaultKind;
  method: string;
  host: string;
  path: string;
  status: number;
  /** Media type without parameters; null when the server named none. */
  contentType: string | null;
  errorCode: string | null;
  /** What came back, without the host: fit for a check's reason. */
  reason: string;
  /** What came back, naming the host: fit for an `error:` line. */
  summary: string;
  hint: string;
};

/** What the runner saw of one answer; only the body's shape is read. */
export type ResponseSeen = {
  method: string;
  url: string;
  status: number | null;
  contentType?: string | null;
  responseBody: string;
};

const TOKEN_PATH = /\/api\/oauth2\/token$/;

/**
 * Names an answer that is no REST API answer at all: a server error, an
 * HTML page, a body that is not JSON, or a granted token request without a
 * token. Null for every answer the API could legally give, an empty 401
 * included. The result holds status, content type and errorCode, never the
 * body.
 */
export function classifyResponse(run: ResponseSeen): ServerFault | null {
  if (run.status === null) return null;

  const { host, path } = hostAndPath(run.url);
  const method = run.method.toUpperCase();
  const contentType = mediaType(run.contentType);
  const body = run.responseBody.trim();
  const parsed = parseJson(body);
  const errorCode =
    parsed !== undefined && typeof (parsed as { errorCode?: unknown })?.errorCode === 'string'
      ? ((parsed as { errorCode: string }).errorCode)
      : null;
  const isTokenGrant = method === 'POST' && TOKEN_PATH.test(path) && run.status >= 200 && run.status < 300;

  const what = (tail: string) => {
    const type = contentType ?? 'no content type';
    const code = errorCode ? `, errorCode ${errorCode}` : '';
    return `answered ${method} ${path} with ${run.status} (${type}${code})${tail}`;
  };
  const make = (kind: ServerFaultKind, tail: string, hint: string): ServerFault => ({
    kind,
    method,
    host,
    path,
    status: run.status as number,
    contentType,
    errorCode,
    reason: `the server ${what(tail)}`,
    summary: `${host} ${what(tail)}`,
    hint,
  });

  // Redirects are never followed (runNewman): a redirected token request
  // would carry the passwords to another origin.
  if (run.status >= 300 && run.status < 400) {
    return make('redirect', ': a redirect, which the harness does not follow', 'give baseUrl as the address the REST API answers on itself; a redirect would send the credentials elsewhere');
  }
  if (run.status >= 500) {
    return make('server-error', ': a server error', 'the server failed, not the check: look at Svc.ResAPI.log on the VBR server and check that its Veeam services run');
  }
  if (body && (contentType?.includes('html') || /^<(!doctype|html)/i.test(body))) {
    return make('html', ': an HTML page, not the REST API\'s JSON', 'baseUrl may point at a web console, a proxy or a sign-in page: give the REST API\'s address, https://<vbr-host>:9419');
  }
  if ((body && parsed === undefined) || (!body && isTokenGrant)) {
    const tail = body ? ', which is not JSON' : ' and an empty body';
    return make('not-json', tail, 'the answer is not the REST API\'s: check baseUrl and any proxy in between');
  }
  if (isTokenGrant && typeof (parsed as { access_token?: unknown })?.access_token !== 'string') {
    return make('no-access-token', ' but no access_token', 'check that baseUrl is the VBR REST API (port 9419), not Enterprise Manager (9398) or another service');
  }
  return null;
}

function fault(kind: TransportKind, code: string, summary: string, hint: string): TransportFault {
  return { kind, code, summary, hint };
}

function hostName(host: string): string {
  return host.replace(/:\d+$/, '');
}

function hostAndPath(url: string): { host: string; path: string } {
  try {
    const parsed = new URL(url);
    return { host: parsed.host, path: parsed.pathname };
  } catch {
    return { host: 'the server', path: '(unparsable URL)' };
  }
}

function mediaType(contentType: string | null | undefined): string | null {
  const type = contentType?.split(';')[0].trim();
  if (!type) return null;
  // Only a well-formed media type is repeated: a server can put anything in
  // the header, a password it was sent included.
  return /^[A-Za-z0-9!#$&^_.+-]{1,40}\/[A-Za-z0-9!#$&^_.+-]{1,60}$/.test(type) ? type.toLowerCase() : 'an unusual content type';
}

/** The parsed body, or undefined when it is empty or not JSON. */
function parseJson(body: string): unknown {
  if (!body) return undefined;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}
