import { CHECK_IDS } from '../../src/checks';
import { nockServer, runAgainst } from '../support/harness';

describe('the collection against a healthy simulated server', () => {
  it('passes every check', async () => {
    const server = nockServer('healthy');

    const verdict = await runAgainst(server);

    expect(verdict.checks.map((c) => [c.id, c.outcome])).toEqual(
      CHECK_IDS.map((id) => [id, 'passed']),
    );
    expect(verdict.passed).toBe(true);
  });

  it('reports the service account got 200 and the MFA user 401 AccessDenied', async () => {
    const server = nockServer('healthy');

    const verdict = await runAgainst(server);

    const byId = Object.fromEntries(verdict.checks.map((c) => [c.id, c]));
    expect(byId['service-account-token']).toMatchObject({ status: 200, errorCode: null });
    expect(byId['mfa-user-refused']).toMatchObject({ status: 401, errorCode: 'AccessDenied' });
  });
});
