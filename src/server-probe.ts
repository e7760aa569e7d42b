import { readFileSync } from 'node:fs';
import https from 'node:https';
import tls from 'node:tls';

import type { Credentials } from './config/credentials';
import { HarnessError } from './errors';
import { debugLog } from './log';
import type { Redactor } from './redact';
import { classifyTransport, isTlsFault } from './runner/transport';

const debug = debugLog('veeam-auth:probe');

export type ProbeResult = {
  apiVersion: string;
  /** Status of GET /swagger/v<rev>/swagger.json; 200 means served. */
  status: number;
  isServed: boolean;
};

/** What the server says it runs; `buildVersion` is null when unknown. */
export type ServerBuild = {
  buildVersion: string | null;
  note: string;
};

type Trust = { caFile?: string; isInsecure?: boolean };

type TlsOptions = { rejectUnauthorized?: boolean; secureContext?: tls.SecureContext };

type Reply = { status: number; body: string };

const DEFAULT_TIMEOUT_MS = 15_000;

/**
 * Asks which revisions a server serves without logging in: VBR publishes
 * each served revision's spec at /swagger/v<rev>/swagger.json (200, else
 * 404). Throws a HarnessError when the server does not answer at all.
 */
export async function probeRevisions(options: Trust & {
  baseUrl: string;
  apiVersions: readonly string[];
  timeoutRequestMs?: number;
}): Promise<ProbeResult[]> {
  const timeoutMs = options.timeoutRequestMs ?? DEFAULT_TIMEOUT_MS;
  const trust = tlsOptions(options);

  return Promise.all(
    options.apiVersions.map(async (apiVersion) => {
      const url = `${options.baseUrl}/swagger/v${apiVersion}/swagger.json`;
      let status: number;
      try {
        // A real spec runs to megabytes: the status is all the probe needs.
        const probe = { method: 'GET', url, headers: { Accept: 'application/json' }, timeoutMs, isBodyWanted: false };
        // A GET is safe to send again: once, after a connection reset.
        ({ status } = await send(probe, trust).catch((cause: NodeJS.ErrnoException) => {
          if (cause.code !== 'ECONNRESET') throw cause;
          return send(probe, trust);
        }));
      } catch (cause) {
        throw unreachable(cause, url);
      }
      debug('GET /swagger/v%s/swagger.json -> %d', apiVersion, status);
      return { apiVersion, status, isServed: status === 200 };
    }),
  );
}

/**
 * Reads the server's build from GET /api/v1/serverInfo with a token of the
 * service account, then logs out. Only a Backup Administrator may read it;
 * any other answer leaves the build unknown rather than failing the run.
 * Tokens seen become secrets of `redactor`.
 */
export async function readServerBuild(options: Trust & {
  baseUrl: string;
  apiVersion: string;
  credentials: Credentials;
  redactor: Redactor;
  timeoutRequestMs?: number;
}): Promise<ServerBuild> {
  const timeoutMs = options.timeoutRequestMs ?? DEFAULT_TIMEOUT_MS;
  const base = { 'x-api-version': options.apiVersion, Accept: 'application/json' };
  const trust = tlsOptions(options);

  try {
    const token = await send(
      {
        method: 'POST',
        url: `${options.baseUrl}/api/oauth2/token`,
        headers: { ...base, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'password',
          username: options.credentials.serviceAccountUsername,
          password: options.credentials.serviceAccountPassword,
        }).toString(),
        timeoutMs,
      },
      trust,
    );
    const accessToken = stringField(token.body, 'access_token');
    options.redactor.add(accessToken);
    options.redactor.add(stringField(token.body, 'refresh_token'));
    if (token.status !== 200 || !accessToken) {
      return { buildVersion: null, note: `unknown: the service account got no token (${token.status})` };
    }

    const authorized = { ...base, Authorization: `Bearer ${accessToken}` };
    const at = (method: string, path: string) => ({ method, url: `${options.baseUrl}${path}`, headers: authorized, timeoutMs });
    const info = await send(at('GET', '/api/v1/serverInfo'), trust);
    // Logging out leaves no live token behind; its answer changes nothing.
    await send(at('POST', '/api/oauth2/logout'), trust).catch(() => undefined);

    if (info.status === 403) {
      const note = 'unknown: the service account may not read serverInfo (403; it needs Backup Administrator)';
      return { buildVersion: null, note };
    }
    const buildVersion = info.status === 200 ? stringField(info.body, 'buildVersion') : undefined;
    if (!buildVersion) {
      return { buildVersion: null, note: `unknown: GET /api/v1/serverInfo answered ${info.status} without a buildVersion` };
    }
    return { buildVersion, note: 'from GET /api/v1/serverInfo' };
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    return { buildVersion: null, note: `unknown: no response (${code ?? 'request failed'})` };
  }
}

/**
 * Logs access tokens out (POST /api/oauth2/logout), each with the revision
 * it was issued under. Best effort: a token already gone, or a server that
 * does not answer, changes nothing a run reports, and tokens expire.
 */
export async function logOut(options: Trust & {
  baseUrl: string;
  tokens: readonly { apiVersion: string; accessToken: string }[];
  timeoutRequestMs?: number;
}): Promise<void> {
  if (options.tokens.length === 0) return;

  const timeoutMs = options.timeoutRequestMs ?? DEFAULT_TIMEOUT_MS;
  const trust = tlsOptions(options);
  await Promise.all(
    options.tokens.map(async ({ apiVersion, accessToken }) => {
      const headers = { 'x-api-version': apiVersion, Accept: 'application/json', Authorization: `Bearer ${accessToken}` };
      try {
        const { status } = await send({ method: 'POST', url: `${options.baseUrl}/api/oauth2/logout`, headers, timeoutMs }, trust);
        debug('POST /api/oauth2/logout (%s) -> %d', apiVersion, status);
      } catch (cause) {
        debug('POST /api/oauth2/logout (%s) got no answer: %s', apiVersion, (cause as NodeJS.ErrnoException).code ?? 'request failed');
      }
    }),
  );
}

function send(
  request: {
    method: string;
    url: string;
    headers: Record<string, string>;
    body?: string;
    timeoutMs: number;
    isBodyWanted?: boolean;
  },
  trust: TlsOptions,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...request.headers };
    if (request.body !== undefined) headers['Content-Length'] = Buffer.byteLength(request.body);

    const req = https.request(
      request.url,
      {
        method: request.method,
        headers,
        agent: false,
        ...trust,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        if (request.isBodyWanted === false) {
          // Close at once rather than download a body nobody reads.
          res.on('error', () => undefined);
          res.destroy();
          resolve({ status, body: '' });
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.setTimeout(request.timeoutMs, () => {
      req.destroy(Object.assign(new Error(`no answer within ${request.timeoutMs} ms`), { code: 'ETIMEDOUT' }));
    });
    req.on('error', reject);
    req.end(request.body);
  });
}

// newman trusts the system's roots plus --ca-cert (sslExtraCaCerts); the
// probe trusts the same, so both see the same server as trusted or not.
// One context serves every request: building it parses every root.
function tlsOptions(trust: Trust): TlsOptions {
  if (trust.isInsecure) return { rejectUnauthorized: false };
  if (!trust.caFile) return {};
  const ca = [...tls.rootCertificates, readFileSync(trust.caFile, 'utf8')];
  return { secureContext: tls.createSecureContext({ ca }) };
}

function unreachable(cause: unknown, url: string): HarnessError {
  const code = (cause as NodeJS.ErrnoException).code;
  const fault = classifyTransport(code, new URL(url).host);
  return new HarnessError(
    isTlsFault(fault.kind) ? 'ERR_TLS_UNTRUSTED' : 'ERR_SERVER_UNREACHABLE',
    `the swagger probe got no answer: ${fault.summary} (${fault.code})`,
    fault.hint,
  );
}

function stringField(body: string, key: string): string | undefined {
  try {
    const value = (JSON.parse(body) as Record<string, unknown>)?.[key];
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}
