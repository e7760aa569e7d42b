import nock from 'nock';

import { HarnessError } from '../../src/errors';
import { runChecks } from '../../src/run-checks';
import { closedPort, editedCollection, renameVariable } from '../support/fixtures';
import { COLLECTION_FILE, nockServer, runAgainst } from '../support/harness';
import { loadCollection } from '../../src/config/collection';

describe('the guards on a collection run', () => {
  it('fails a check whose form body sent an undefined variable, naming it', async () => {
    const server = nockServer('healthy');
    const collection = editedCollection((requestsOf) => {
      renameVariable(requestsOf('mfa-user-refused')[0], 'mfaPassword', 'mfaPasswrd');
    });

    const verdict = await runAgainst(server, { collection });

    const mfa = verdict.checks.find((c) => c.id === 'mfa-user-refused');
    expect(mfa).toMatchObject({
      passed: false,
      outcome: 'failed',
      status: 401,
      reason:
        '{{mfaPasswrd}} reached the wire unresolved; define it in the environment or collection',
    });
    expect(verdict.errors).toEqual([
      {
        code: 'ERR_UNRESOLVED_VARIABLE',
        message: 'mfa-user-refused: {{mfaPasswrd}} reached the wire unresolved',
      },
    ]);
    expect(verdict.passed).toBe(false);
  });

  it('fails a check whose header sent an undefined variable, naming it', async () => {
    const server = nockServer('healthy');
    const collection = editedCollection((_requestsOf, json) => {
      delete json.variable;
    });

    const verdict = await runAgainst(server, { collection });

    const revision = verdict.checks.find((c) => c.id === 'unsupported-revision-refused');
    expect(revision).toMatchObject({ outcome: 'failed', status: 400 });
    expect(revision?.reason).toMatch(/^\{\{unsupportedApiVersion\}\} reached the wire unresolved/);
  });

  it('fails a request whose test script was removed, whatever its status', async () => {
    const server = nockServer('mfa-bypass');
    const collection = editedCollection((requestsOf) => {
      const request = requestsOf('mfa-user-refused')[0];
      request.event = request.event?.filter((e) => e.listen !== 'test');
    });

    const verdict = await runAgainst(server, { collection });

    const mfa = verdict.checks.find((c) => c.id === 'mfa-user-refused');
    expect(mfa).toMatchObject({
      passed: false,
      outcome: 'failed',
      reason: 'request "MFA user is refused a token" has no pm.test, so it cannot fail',
    });
    expect(verdict.errors).toContainEqual({
      code: 'ERR_NO_TESTS',
      message: 'mfa-user-refused: request "MFA user is refused a token" has no pm.test',
    });
  });

  it('marks a check as not run when the collection lacks its folder', async () => {
    const server = nockServer('healthy');
    const collection = editedCollection((_requestsOf, json) => {
      json.item = (json.item as { name: string }[]).filter(
        (f) => f.name !== 'wrong-password-refused',
      );
    });

    const verdict = await runAgainst(server, { collection });

    expect(verdict.passed).toBe(false);
    expect(verdict.checks.find((c) => c.id === 'wrong-password-refused')).toMatchObject({
      outcome: 'not-run',
      reason: 'the collection has no request for this check',
    });
  });
});

describe('a run that gets no response', () => {
  // Delayed replies outlive the run that gave up on them.
  afterEach(() => {
    nock.abortPendingRequests();
  });

  it('reports a refused connection as a transport error, not a 401', async () => {
    const port = await closedPort();
    const baseUrl = `https://127.0.0.1:${port}`;
    const { credentials } = nockServer('healthy', { baseUrl: 'https://unused.test' });

    const verdict = await runChecks({
      collection: loadCollection(COLLECTION_FILE),
      environment: {
        name: 'closed port',
        baseUrl,
        apiVersion: '1.3-rev2',
        values: [
          { key: 'baseUrl', value: baseUrl },
          { key: 'apiVersion', value: '1.3-rev2' },
        ],
      },
      credentials,
      timeoutRequestMs: 2_000,
      timeoutRunMs: 10_000,
    });

    expect(verdict.passed).toBe(false);
    expect(verdict.transport).toMatchObject({ kind: 'refused', code: 'ECONNREFUSED' });
    for (const check of verdict.checks) {
      expect(check).toMatchObject({ outcome: 'transport-error', status: null, errorCode: null });
    }
    expect(verdict.checks[0].reason).toBe(`no response: ${verdict.transport?.summary}`);
  });

  it('ends a request slower than timeoutRequestMs as a timeout', async () => {
    nock('https://vbr.test:9419')
      .post('/api/oauth2/token')
      .delay(3_000)
      .reply(200, '{}', { 'content-length': '2' });
    const server = nockServer('healthy');
    const started = Date.now();

    const verdict = await runAgainst(server, { timeoutRequestMs: 200 });

    expect(Date.now() - started).toBeLessThan(2_500);
    expect(verdict.transport).toMatchObject({ kind: 'timeout' });
    expect(verdict.checks[0]).toMatchObject({
      id: 'service-account-token',
      outcome: 'transport-error',
      status: null,
    });
    // The run stops there: later checks are unreachable, not failed.
    expect(verdict.checks.find((c) => c.id === 'mfa-user-refused')).toMatchObject({
      outcome: 'transport-error',
      reason: expect.stringMatching(/^not sent: the run stopped after /),
    });
  });

  it('ends a run longer than timeoutRunMs with ERR_RUN_TIMEOUT', async () => {
    nock('https://vbr.test:9419')
      .persist()
      .post(/.*/)
      .delay(300)
      .reply(200, '{}', { 'content-length': '2' });
    const server = nockServer('healthy');

    const run = runAgainst(server, { timeoutRequestMs: 5_000, timeoutRunMs: 500 });

    await expect(run).rejects.toThrow(HarnessError);
    await expect(run).rejects.toMatchObject({
      code: 'ERR_RUN_TIMEOUT',
      message: 'the run did not finish within 500 ms',
      exitCode: 4,
    });
  });
});

describe('guards against collections that cannot fail', () => {
  it('counts a request whose tests are all pm.test.skip as a request without tests', async () => {
    const server = nockServer('mfa-bypass');
    const collection = editedCollection((requestsOf) => {
      const request = requestsOf('mfa-user-refused')[0] as unknown as { event: { listen: string; script: { exec: string[] } }[] };
      request.event = request.event.map((e) =>
        e.listen === 'test' ? { ...e, script: { ...e.script, exec: e.script.exec.map((l) => l.replace(/pm\.test\(/g, 'pm.test.skip(')) } } : e,
      );
    });

    const verdict = await runAgainst(server, { collection });

    const mfa = verdict.checks.find((c) => c.id === 'mfa-user-refused');
    expect(mfa).toMatchObject({ passed: false, outcome: 'failed' });
    expect(mfa?.reason).toMatch(/has no pm\.test, so it cannot fail/);
  });

  it('does not count a check whose second request goes to another server', async () => {
    const server = nockServer('healthy');
    // A server that refuses everyone: on its own the extra request passes.
    nockServer('healthy', { baseUrl: 'https://other.test:9419' });
    const collection = editedCollection((requestsOf) => {
      const folder = requestsOf('mfa-user-refused');
      const first = structuredClone(folder[0]) as { name: string; request: { url: { raw: string; host: string[] } } };
      first.name = 'MFA user, asked elsewhere';
      first.request.url = { ...first.request.url, raw: 'https://other.test:9419/api/oauth2/token', host: ['https://other.test:9419'] };
      folder.splice(1, 0, first as never);
    });

    const verdict = await runAgainst(server, { collection });

    const mfa = verdict.checks.find((c) => c.id === 'mfa-user-refused');
    expect(mfa).toMatchObject({ passed: false, outcome: 'not-counted' });
    expect(mfa?.reason).toMatch(/ran against another server or revision/);
  });
});
