import nock from 'nock';

import { ensureBuilt } from '../support/build';
import { cli, cliProcess } from '../support/harness';
import {
  closedPort,
  hasStackTrace,
  interceptWithError,
  interceptWithoutConnecting,
  linesOf,
  serverFolder,
  withCredentialEnv,
  type ServerFolder,
} from './fault-support';

const SIM = '127\\.0\\.0\\.1:\\d+';
const FAST_FLAGS = ['--timeout-request', '300', '--timeout', '10000'];

/** The first stderr line, the hint, and the exit code of one CLI run. */
function outcome(result: { code: number; stderr: string }) {
  const lines = linesOf(result.stderr).filter((l) => !l.startsWith('note: '));
  return { code: result.code, error: lines[0], hint: lines[1], rest: lines.slice(2) };
}

describe('veeam-auth check against a simulator that fails', () => {
  it.each([
    ['stall', 4, `error: ${SIM} accepted the connection but sent nothing within 300 ms \\(ESOCKETTIMEDOUT\\)`, 'raise --timeout-request'],
    ['reset', 4, `error: ${SIM} reset the connection before the answer was complete \\(ECONNRESET\\)`, 'proxy, load balancer or firewall'],
    ['tls-untrusted', 5, `error: the certificate of ${SIM} is not trusted \\(self-signed\\) \\(DEPTH_ZERO_SELF_SIGNED_CERT\\)`, '--ca-cert <file>'],
    ['tls-hostname', 5, `error: the certificate of ${SIM} is for another host name \\(ERR_TLS_CERT_ALTNAME_INVALID\\)`, 'host name the certificate names'],
    ['tls-expired', 5, `error: the certificate of ${SIM} has expired \\(CERT_HAS_EXPIRED\\)`, "renew the VBR server's certificate"],
    ['server-error', 1, `error: ${SIM} answered POST /api/oauth2/token with 500 \\(application/json, errorCode UnknownError\\): a server error`, 'Svc.ResAPI.log'],
    ['html', 1, `error: ${SIM} answered POST /api/oauth2/token with 200 \\(text/html\\): an HTML page, not the REST API's JSON`, 'https://<vbr-host>:9419'],
    ['not-json', 1, `error: ${SIM} answered POST /api/oauth2/token with 200 \\(text/plain\\), which is not JSON`, 'check baseUrl'],
    ['no-access-token', 1, `error: ${SIM} answered POST /api/oauth2/token with 200 \\(application/json\\) but no access_token`, 'Enterprise Manager'],
  ])('reports --fault %s with exit %i, one error line and a hint', async (fault, code, error, hint) => {
    const result = await cli(['check', '--fault', fault, ...FAST_FLAGS]);

    const printed = outcome(result);
    expect(printed.code).toBe(code);
    expect(printed.error).toMatch(new RegExp(`^${error}$`));
    expect(printed.hint).toMatch(/^ {2}hint: /);
    expect(printed.hint).toContain(hint);
    expect(printed.rest).toEqual([]);
    expect(hasStackTrace(result.stderr)).toBe(false);
  });

  it('quotes no part of a body that was not the REST API\'s', async () => {
    const result = await cli(['check', '--fault', 'html', ...FAST_FLAGS]);

    expect(result.stdout + result.stderr).not.toMatch(/<html|Sign in/);
  });

  it('says on stderr that it retried after a reset, and passes', async () => {
    const result = await cli(['check', '--fault', 'reset-once', ...FAST_FLAGS]);

    expect(result.code).toBe(0);
    expect(linesOf(result.stderr)).toEqual([
      expect.stringMatching(new RegExp(`^note: retried POST /api/oauth2/token on ${SIM} once after a connection reset \\(ECONNRESET\\)$`)),
    ]);
  });

  it('passes when every 401 has an empty body, printing no error', async () => {
    const result = await cli(['check', '--scenario', 'empty-401-body', ...FAST_FLAGS]);

    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
  });

  it('refuses --fault together with --env, as a usage error', async () => {
    const result = await cli(['check', '--env', 'unused.postman_environment.json', '--fault', 'stall']);

    expect(result.code).toBe(2);
    expect(linesOf(result.stderr)[0]).toBe(
      'error: --fault applies to the built-in simulator, not to a server given with --env',
    );
  });
});

describe('veeam-auth check against a server it cannot reach', () => {
  withCredentialEnv();
  let folder: ServerFolder | undefined;

  afterEach(() => {
    nock.abortPendingRequests();
    folder?.remove();
    folder = undefined;
  });

  it('reports a name that does not resolve with exit 4', async () => {
    interceptWithError('https://vbr.test:9419', 'ENOTFOUND', 'getaddrinfo ENOTFOUND vbr.test');
    folder = serverFolder('https://vbr.test:9419');

    const result = await cli(['check', '--env', folder.envFile, ...FAST_FLAGS], folder.dir);

    expect(outcome(result)).toEqual({
      code: 4,
      error: 'error: cannot resolve the host name vbr.test (ENOTFOUND)',
      hint: '  hint: check the host name in baseUrl, and the DNS settings of this machine',
      rest: [],
    });
  });

  it('reports a closed port with exit 4', async () => {
    const port = await closedPort();
    folder = serverFolder(`https://127.0.0.1:${port}`);

    const result = await cli(['check', '--env', folder.envFile, ...FAST_FLAGS], folder.dir);

    expect(outcome(result)).toMatchObject({
      code: 4,
      error: `error: 127.0.0.1:${port} refused the connection (ECONNREFUSED)`,
      rest: [],
    });
  });

  it('reports a connection that never completes with exit 4, within the bound', async () => {
    interceptWithoutConnecting('https://vbr.test:9419', 5_000);
    folder = serverFolder('https://vbr.test:9419');

    const result = await cli(['check', '--env', folder.envFile, ...FAST_FLAGS], folder.dir);

    expect(outcome(result)).toMatchObject({
      code: 4,
      error: 'error: vbr.test:9419 did not accept a connection within 300 ms (ETIMEDOUT)',
      hint: '  hint: check the host, the port and any firewall in between, or raise --timeout-request',
    });
  });

  it('prints no credential on either stream', async () => {
    interceptWithError('https://vbr.test:9419', 'ENOTFOUND', 'getaddrinfo ENOTFOUND vbr.test');
    folder = serverFolder('https://vbr.test:9419');

    const result = await cli(['check', '--env', folder.envFile, ...FAST_FLAGS], folder.dir);

    const printed = result.stdout + result.stderr;
    expect(printed).not.toContain(process.env.VBR_SERVICE_ACCOUNT_PASSWORD);
    expect(printed).not.toContain(process.env.VBR_MFA_PASSWORD);
  });
});

describe('veeam-auth as its own process, without nock', () => {
  beforeAll(() => {
    ensureBuilt();
  }, 60_000);

  it('ends an answer that drips slowly within the bound, with exit 4', async () => {
    const started = Date.now();

    const result = await cliProcess(['check', '--fault', 'drip', ...FAST_FLAGS], { timeoutMs: 15_000 });

    expect(Date.now() - started).toBeLessThan(10_000);
    expect(outcome(result)).toMatchObject({ code: 4, rest: [] });
    expect(outcome(result).error).toMatch(
      new RegExp(`^error: ${SIM} began to answer but did not finish within 300 ms \\(ERR_RESPONSE_TIMEOUT\\)$`),
    );
  });

});

describe('veeam-auth sim --fault', () => {
  it('serves a fault on loopback and names it with the certificate to export', async () => {
    const result = await cli(['sim', '--port', '0', '--fault', 'tls-untrusted']);

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^simulator \(healthy, fault tls-untrusted\) listening on https:\/\/127\.0\.0\.1:\d+$/m);
    expect(result.stdout).toMatch(/^certificate {4}\S+server\.pem$/m);
  });
});
