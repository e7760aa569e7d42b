import type { CertificateKind } from './certificates';
import type { SimRequest, SimResponse } from './model';

/**
 * Ways the loopback server can fail around an otherwise healthy VBR model:
 * on the wire, in TLS, or with an answer that is not the REST API's. The
 * model still decides every answer; a fault only changes how, or whether,
 * it reaches the client. Faults without a server (a name that does not
 * resolve, a closed port) need no simulator and are not listed.
 */
export const FAULTS = {
  reset: 'every answer is cut off mid-response (the client sees ECONNRESET)',
  'reset-once': 'the first answer is cut off mid-response, later ones arrive whole',
  stall: 'takes every request and never answers',
  drip: 'sends every answer a byte at a time, slower than any bound',
  'server-error': 'every request gets 500 with errorCode UnknownError',
  html: 'every request gets 200 with an HTML sign-in page, as from a proxy',
  'not-json': 'a granted token request gets 200 text/plain instead of JSON',
  'no-access-token': 'a granted token request gets 200 JSON without access_token',
  'tls-untrusted': 'the certificate signs itself, as VBR\'s default one does',
  'tls-hostname': 'the certificate is for another host name',
  'tls-expired': 'the certificate expired yesterday',
} as const;

export type FaultName = keyof typeof FAULTS;

export function isFaultName(value: string): value is FaultName {
  return Object.prototype.hasOwnProperty.call(FAULTS, value);
}

/** How one answer goes out on the socket. */
export type Delivery =
  | { kind: 'whole'; response: SimResponse }
  /** Status, headers and half the body, then the socket is destroyed. */
  | { kind: 'cut'; response: SimResponse }
  /** Nothing, ever; the socket stays open until the client gives up. */
  | { kind: 'stall' }
  /** Status and headers at once, then one byte of the body per interval. */
  | { kind: 'drip'; response: SimResponse; intervalMs: number };

const DRIP_INTERVAL_MS = 100;

const TOKEN_PATH = '/api/oauth2/token';

const SIGN_IN_PAGE =
  '<!DOCTYPE html>\n<html><head><title>Sign in</title></head>' +
  '<body><h1>Sign in to continue</h1></body></html>\n';

/** Which certificate the server presents under `fault`. */
export function certificateFor(fault: FaultName | undefined): CertificateKind {
  switch (fault) {
    case 'tls-untrusted':
      return 'self-signed';
    case 'tls-hostname':
      return 'other-host';
    case 'tls-expired':
      return 'expired';
    default:
      return 'trusted';
  }
}

/**
 * Decides, request by request, how the model's answer is delivered under one
 * fault. It keeps the little state a fault needs (whether the first answer
 * went out), so one plan serves one server.
 */
export class FaultPlan {
  readonly fault: FaultName | undefined;
  private answered = 0;

  constructor(fault?: FaultName) {
    this.fault = fault;
  }

  deliver(request: SimRequest, answer: SimResponse): Delivery {
    const isFirst = this.answered === 0;
    this.answered += 1;

    switch (this.fault) {
      case 'reset':
        return { kind: 'cut', response: answer };
      case 'reset-once':
        return isFirst ? { kind: 'cut', response: answer } : whole(answer);
      case 'stall':
        return { kind: 'stall' };
      case 'drip':
        return { kind: 'drip', response: answer, intervalMs: DRIP_INTERVAL_MS };
      case 'server-error':
        return whole(
          jsonAnswer(500, {
            errorCode: 'UnknownError',
            message: 'An unexpected error occurred on the server.',
            resourceId: null,
          }),
        );
      case 'html':
        return whole({
          status: 200,
          headers: { 'content-type': 'text/html; charset=utf-8' },
          body: SIGN_IN_PAGE,
        });
      case 'not-json':
        return isGrantedToken(request, answer)
          ? whole({
              status: 200,
              headers: { 'content-type': 'text/plain; charset=utf-8' },
              body: 'OK\n',
            })
          : whole(answer);
      case 'no-access-token':
        return isGrantedToken(request, answer)
          ? whole(withoutTokens(answer))
          : whole(answer);
      default:
        return whole(answer);
    }
  }
}

function whole(response: SimResponse): Delivery {
  return { kind: 'whole', response };
}

function isGrantedToken(request: SimRequest, answer: SimResponse): boolean {
  const path = request.path.split('?')[0];
  return request.method.toUpperCase() === 'POST' && path === TOKEN_PATH && answer.status === 200;
}

function withoutTokens(answer: SimResponse): SimResponse {
  const body = JSON.parse(answer.body) as Record<string, unknown>;
  delete body.access_token;
  delete body.refresh_token;
  return { ...answer, body: JSON.stringify(body) };
}

function jsonAnswer(status: number, body: unknown): SimResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(body),
  };
}
