import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import { debuglog } from 'node:util';

import { HarnessError } from './errors';
import { classifyTransport, isTlsFault } from './runner/transport';

const debug = debuglog('veeam-auth:client');

export type VbrClientOptions = {
  baseUrl: string;
  apiVersion: string;
  /** PEM file of a CA to trust besides the system's, as `--ca-cert` gives it. */
  caFile?: string;
  isInsecure?: boolean;
  timeoutRequestMs?: number;
};

export type VbrResponse = { status: number; body: string };

const DEFAULT_TIMEOUT_MS = 15_000;

/**
 * A few direct REST calls for what newman does not need to run: the same
 * TLS trust as a run (the system's CAs plus `caFile`, verification on
 * unless `isInsecure`), one bound per request, and network failures
 * reported as HarnessError with the run's transport wording.
 */
export class VbrClient {
  private readonly options: VbrClientOptions;
  private readonly ca: string[] | undefined;

  constructor(options: VbrClientOptions) {
    this.options = options;
    this.ca = options.caFile
      ? [...rootCertificates, readFileSync(options.caFile, 'utf8')]
      : undefined;
  }

  /** POST /api/oauth2/token with the password grant; the token or null. */
  async passwordGrant(
    username: string,
    password: string,
  ): Promise<{ status: number; accessToken: string | null }> {
    const body = new URLSearchParams({ grant_type: 'password', username, password }).toString();
    const response = await this.send('POST', '/api/oauth2/token', {
      'content-type': 'application/x-www-form-urlencoded',
    }, body);

    let accessToken: string | null = null;
    try {
      const json = JSON.parse(response.body) as { access_token?: unknown };
      if (typeof json?.access_token === 'string' && json.access_token) {
        accessToken = json.access_token;
      }
    } catch {
      // Not JSON: no token.
    }
    return { status: response.status, accessToken };
  }

  get(path: string, accessToken: string): Promise<VbrResponse> {
    return this.send('GET', path, { authorization: `Bearer ${accessToken}` });
  }

  /** POST /api/oauth2/logout: both tokens stop working. */
  logout(accessToken: string): Promise<VbrResponse> {
    return this.send('POST', '/api/oauth2/logout', { authorization: `Bearer ${accessToken}` });
  }

  private send(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<VbrResponse> {
    const url = new URL(path, `${this.options.baseUrl}/`);
    const timeoutMs = this.options.timeoutRequestMs ?? DEFAULT_TIMEOUT_MS;
    const isHttps = url.protocol === 'https:';
    const transport = isHttps ? https : http;

    return new Promise((resolve, reject) => {
      const request = transport.request(
        url,
        {
          method,
          headers: {
            'x-api-version': this.options.apiVersion,
            accept: 'application/json',
            ...headers,
            ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }),
          },
          ...(isHttps ? { ca: this.ca, rejectUnauthorized: !this.options.isInsecure } : {}),
          timeout: timeoutMs,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            debug('%s %s -> %d', method, url.pathname, response.statusCode);
            resolve({
              status: response.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8'),
            });
          });
          response.on('error', (cause) => reject(this.transportError(cause, url, timeoutMs)));
        },
      );
      request.on('timeout', () => {
        request.destroy(Object.assign(new Error('request timed out'), { code: 'ESOCKETTIMEDOUT' }));
      });
      request.on('error', (cause) => reject(this.transportError(cause, url, timeoutMs)));
      request.end(body);
    });
  }

  private transportError(cause: Error, url: URL, timeoutMs: number): HarnessError {
    const fault = classifyTransport((cause as NodeJS.ErrnoException).code, url.host, { timeoutMs });
    debug('%s failed: %s', url.pathname, fault.code);
    return new HarnessError(
      isTlsFault(fault.kind) ? 'ERR_TLS_UNTRUSTED' : 'ERR_SERVER_UNREACHABLE',
      `${fault.summary} (${fault.code})`,
      fault.hint,
    );
  }
}
