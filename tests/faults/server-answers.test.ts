import { classifyResponse } from '../../src/runner/transport';
import type { RunningSimulator } from '../../src/simulator/start';
import { nockServer, runAgainst } from '../support/harness';
import { runAgainstSimulator, simulatorWith } from './fault-support';

describe('a run against a loopback server whose answers are not the REST API\'s', () => {
  let simulator: RunningSimulator | undefined;

  afterEach(async () => {
    await simulator?.close();
    simulator = undefined;
  });

  it('fails on a 5xx, naming status, content type and errorCode but not the body', async () => {
    simulator = await simulatorWith('server-error');

    const verdict = await runAgainstSimulator(simulator);

    expect(verdict.transport).toBeNull();
    expect(verdict.serverFault).toMatchObject({
      kind: 'server-error',
      method: 'POST',
      host: `127.0.0.1:${simulator.port}`,
      path: '/api/oauth2/token',
      status: 500,
      contentType: 'application/json',
      errorCode: 'UnknownError',
    });
    expect(verdict.checks[0]).toMatchObject({
      id: 'service-account-token',
      outcome: 'failed',
      status: 500,
      reason: 'the server answered POST /api/oauth2/token with 500 (application/json, errorCode UnknownError): a server error',
    });
    expect(JSON.stringify(verdict)).not.toContain('unexpected error occurred');
  });

  it('fails on a 200 that is not JSON, naming its content type', async () => {
    simulator = await simulatorWith('not-json');

    const verdict = await runAgainstSimulator(simulator);

    expect(verdict.serverFault).toMatchObject({ kind: 'not-json', status: 200, contentType: 'text/plain' });
    expect(verdict.checks[0].reason).toBe(
      'the server answered POST /api/oauth2/token with 200 (text/plain), which is not JSON',
    );
    expect(verdict.passed).toBe(false);
  });

  it('fails on a 200 JSON without access_token, and counts no refusal after it', async () => {
    simulator = await simulatorWith('no-access-token');

    const verdict = await runAgainstSimulator(simulator);

    const byId = Object.fromEntries(verdict.checks.map((c) => [c.id, c]));
    expect(verdict.serverFault).toMatchObject({ kind: 'no-access-token', status: 200, contentType: 'application/json' });
    expect(byId['service-account-token'].reason).toBe(
      'the server answered POST /api/oauth2/token with 200 (application/json) but no access_token',
    );
    expect(byId['mfa-user-refused'].outcome).toBe('not-counted');
  });

  it('fails on HTML where JSON was expected without quoting the page', async () => {
    simulator = await simulatorWith('html');

    const verdict = await runAgainstSimulator(simulator);

    expect(verdict.serverFault).toMatchObject({ kind: 'html', status: 200, contentType: 'text/html' });
    expect(verdict.checks[0].reason).toBe(
      "the server answered POST /api/oauth2/token with 200 (text/html): an HTML page, not the REST API's JSON",
    );
    const text = JSON.stringify(verdict);
    expect(text).not.toContain('<html');
    expect(text).not.toContain('Sign in');
  });
});

describe('a 401 with an empty body', () => {
  it('still counts as refused, and is no server fault', async () => {
    const server = nockServer('empty-401-body');

    const verdict = await runAgainst(server);

    const mfa = verdict.checks.find((c) => c.id === 'mfa-user-refused');
    expect(mfa).toMatchObject({ outcome: 'passed', status: 401, errorCode: null });
    expect(verdict.serverFault).toBeNull();
    expect(verdict.passed).toBe(true);
  });
});

describe('classifyResponse', () => {
  const token = 'https://vbr.test:9419/api/oauth2/token';

  it('finds no fault in an empty 401', () => {
    const fault = classifyResponse({ method: 'POST', url: token, status: 401, contentType: null, responseBody: '' });

    expect(fault).toBeNull();
  });

  it('finds no fault in a 401 AccessDenied', () => {
    const body = JSON.stringify({ errorCode: 'AccessDenied', message: 'Authentication failed', resourceId: null });

    const fault = classifyResponse({ method: 'POST', url: token, status: 401, contentType: 'application/json; charset=utf-8', responseBody: body });

    expect(fault).toBeNull();
  });

  it('says a 5xx with no content type came with none', () => {
    const fault = classifyResponse({ method: 'GET', url: 'https://vbr.test:9419/api/v1/sessions?limit=1', status: 503, contentType: null, responseBody: '' });

    expect(fault?.summary).toBe('vbr.test:9419 answered GET /api/v1/sessions with 503 (no content type): a server error');
  });

  it('names a granted token request with an empty body', () => {
    const fault = classifyResponse({ method: 'POST', url: token, status: 200, contentType: 'application/json', responseBody: '' });

    expect(fault).toMatchObject({ kind: 'not-json', reason: 'the server answered POST /api/oauth2/token with 200 (application/json) and an empty body' });
  });

  it('knows an HTML page by its first tag when the content type claims JSON', () => {
    const fault = classifyResponse({ method: 'POST', url: token, status: 200, contentType: 'application/json', responseBody: '<!DOCTYPE html><html></html>' });

    expect(fault?.kind).toBe('html');
  });

  it('never puts the body or the query string into what it says', () => {
    const body = '<html><body>secret-looking-text</body></html>';

    const fault = classifyResponse({ method: 'GET', url: 'https://vbr.test:9419/api/v1/sessions?limit=1&q=abc', status: 502, contentType: 'text/html', responseBody: body });

    const text = JSON.stringify(fault);
    expect(text).not.toContain('secret-looking-text');
    expect(text).not.toContain('q=abc');
  });
});
