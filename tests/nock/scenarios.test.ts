import { CHECK_IDS, type CheckId } from '../../src/checks';
import type { CheckOutcome } from '../../src/runner/verdict';
import type { ScenarioName } from '../../src/simulator/scenarios';
import { nockServer, runAgainst } from '../support/harness';

type Expected = Partial<Record<CheckId, CheckOutcome>>;

// Each misbehaviour fails the check that guards against it; checks that
// depend on a failed one are not counted; everything else still passes.
const cases: [ScenarioName, Expected, string][] = [
  [
    'mfa-bypass',
    { 'mfa-user-refused': 'failed' },
    'MFA user gets 401: status: expected 200 to equal 401',
  ],
  [
    'service-account-refused',
    {
      'service-account-token': 'failed',
      'token-opens-protected-endpoint': 'not-counted',
      'mfa-user-refused': 'not-counted',
      'wrong-password-refused': 'not-counted',
      'unsupported-revision-refused': 'not-counted',
      'logout-revokes-token': 'not-counted',
    },
    'service account gets 200: status: expected 401 to equal 200',
  ],
  [
    'wrong-password-accepted',
    { 'wrong-password-refused': 'failed' },
    'wrong password gets 401: status: expected 200 to equal 401',
  ],
  [
    'revision-ignored',
    { 'unsupported-revision-refused': 'failed' },
    'unserved revision gets 400: status: expected 200 to equal 400',
  ],
  [
    'token-not-accepted',
    {
      'token-opens-protected-endpoint': 'failed',
      'logout-revokes-token': 'not-counted',
    },
    'protected endpoint answers 200 to the token: status: expected 401 to equal 200',
  ],
  [
    'logout-keeps-token',
    { 'logout-revokes-token': 'failed' },
    'old token gets 401 after logout: status: expected 200 to equal 401',
  ],
];

describe('the collection against a misbehaving simulated server', () => {
  it.each(cases)('fails under %s exactly the checks it should', async (
    scenario,
    expected,
    reason,
  ) => {
    const server = nockServer(scenario);

    const verdict = await runAgainst(server);

    expect(verdict.passed).toBe(false);
    expect(verdict.transport).toBeNull();
    expect(verdict.checks.map((c) => [c.id, c.outcome])).toEqual(
      CHECK_IDS.map((id) => [id, expected[id] ?? 'passed']),
    );
    const failed = verdict.checks.find((c) => c.outcome === 'failed');
    expect(failed?.reason).toBe(reason);
  });

  it('reports the token an MFA user wrongly got as a 200 without errorCode', async () => {
    const server = nockServer('mfa-bypass');

    const verdict = await runAgainst(server);

    const mfa = verdict.checks.find((c) => c.id === 'mfa-user-refused');
    expect(mfa).toMatchObject({ passed: false, status: 200, errorCode: null });
  });

  it('passes every check when each 401 has an empty body', async () => {
    const server = nockServer('empty-401-body');

    const verdict = await runAgainst(server);

    expect(verdict.passed).toBe(true);
    expect(verdict.errors).toEqual([]);
    const mfa = verdict.checks.find((c) => c.id === 'mfa-user-refused');
    expect(mfa).toMatchObject({ outcome: 'passed', status: 401, errorCode: null });
  });

  it('logs the MFA refusal after accepting the password, as VBR does', async () => {
    const server = nockServer('healthy');

    await runAgainst(server);

    const log = server.model.log.map((e) => e.message);
    const mfaUser = server.credentials.mfaUsername;
    const authenticated = log.indexOf(`Authenticated user: [.\\${mfaUser}]`);
    expect(authenticated).toBeGreaterThanOrEqual(0);
    expect(log.indexOf(`Login failed for user '${mfaUser}'.`)).toBeGreaterThan(authenticated);
  });
});
