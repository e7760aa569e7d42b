import { isSafeToRetry } from '../../src/runner/newman-run';
import type { TokenRequest } from '../../src/simulator/model';
import type { RunningSimulator } from '../../src/simulator/start';
import { FAST, runAgainstSimulator, simulatorWith } from './fault-support';

/** Password grants for one user, split by whether the password was right. */
function attempts(simulator: RunningSimulator, username: string, isPasswordRight: boolean): number {
  return simulator.model.tokenRequests.filter(
    (r: TokenRequest) => r.grant === 'password' && r.username === username && r.isPasswordRight === isPasswordRight,
  ).length;
}

describe('retries after a connection reset', () => {
  let simulator: RunningSimulator | undefined;

  afterEach(async () => {
    await simulator?.close();
    simulator = undefined;
  });

  it('retries a reset service-account grant once, says so, and passes', async () => {
    simulator = await simulatorWith('reset-once');

    const verdict = await runAgainstSimulator(simulator);

    expect(verdict.passed).toBe(true);
    expect(verdict.retries).toEqual([
      {
        check: 'service-account-token',
        method: 'POST',
        host: `127.0.0.1:${simulator.port}`,
        path: '/api/oauth2/token',
        code: 'ECONNRESET',
      },
    ]);
    // The cut attempt, its retry, and the unserved-revision check's request.
    expect(attempts(simulator, simulator.credentials.serviceAccountUsername, true)).toBe(3);
  });

  it('sends the MFA password and the wrong password exactly once, reset or not', async () => {
    simulator = await simulatorWith('reset');

    const verdict = await runAgainstSimulator(simulator, FAST);

    expect(attempts(simulator, simulator.credentials.mfaUsername, true)).toBe(1);
    expect(attempts(simulator, simulator.credentials.serviceAccountUsername, false)).toBe(1);
    const retried = (verdict.retries ?? []).map((r) => r.check);
    expect(retried).not.toContain('mfa-user-refused');
    expect(retried).not.toContain('wrong-password-refused');
  });

  it('retries each safe request at most once when every answer is cut', async () => {
    simulator = await simulatorWith('reset');

    const verdict = await runAgainstSimulator(simulator, FAST);

    const retries = verdict.retries ?? [];
    expect(retries.length).toBeGreaterThan(0);
    for (const retry of retries) {
      expect(retry.method === 'GET' || retry.path === '/api/oauth2/token').toBe(true);
    }
    // Two requests carry the service account's own password; each goes twice.
    expect(attempts(simulator, simulator.credentials.serviceAccountUsername, true)).toBe(4);
    expect(verdict.transport?.kind).toBe('reset');
  });
});

describe('a 401', () => {
  let simulator: RunningSimulator | undefined;

  afterEach(async () => {
    await simulator?.close();
    simulator = undefined;
  });

  it('is never retried: one attempt each for the MFA user and the wrong password', async () => {
    simulator = await simulatorWith(undefined);

    const verdict = await runAgainstSimulator(simulator);

    expect(verdict.passed).toBe(true);
    expect(attempts(simulator, simulator.credentials.mfaUsername, true)).toBe(1);
    expect(attempts(simulator, simulator.credentials.serviceAccountUsername, false)).toBe(1);
    expect(verdict.retries).toEqual([]);
  });

  it('is never retried for the service account either', async () => {
    simulator = await simulatorWith(undefined, 'service-account-refused');

    const verdict = await runAgainstSimulator(simulator);

    expect(verdict.checks[0]).toMatchObject({ id: 'service-account-token', status: 401 });
    // Its own check and the unserved-revision check: no third attempt.
    expect(attempts(simulator, simulator.credentials.serviceAccountUsername, true)).toBe(2);
    expect(verdict.retries).toEqual([]);
  });
});

describe('isSafeToRetry', () => {
  const serviceAccount = { username: 'svc-harness', password: 'right&+%#' };
  const grant = (username: string, password: string) => ({
    method: 'POST',
    form: { grant_type: 'password', username, password },
  });

  it.each([
    ['a GET', true, { method: 'GET', form: null }],
    ["the service account's own password grant", true, grant('svc-harness', 'right&+%#')],
    ['a grant with a wrong password', false, grant('svc-harness', 'wrong')],
    ["another user's grant", false, grant('mfa-admin', 'right&+%#')],
    ['a refresh grant', false, { method: 'POST', form: { grant_type: 'refresh_token', refresh_token: 'r' } }],
    ['a logout', false, { method: 'POST', form: null }],
  ])('calls %s safe to retry: %s', (_name, expected, request) => {
    const answer = isSafeToRetry(request, serviceAccount);

    expect(answer).toBe(expected);
  });
});
