import nock from 'nock';

import { CHECK_IDS } from '../../src/checks';
import { loadCollection } from '../../src/config/collection';
import { loadEnvironment } from '../../src/config/environment';
import { runChecks } from '../../src/run-checks';
import { CREDENTIAL_ENV } from '../support/fixtures';
import { COLLECTION_FILE } from '../support/harness';

// Runs the collection against a real VBR server, only when one is configured:
// VBR_LIVE_ENV names its Postman environment (baseUrl, apiVersion), the four
// VBR_* credential variables hold the accounts, and VBR_LIVE_CA_CERT may name
// the PEM of its certificate. Nothing here has a default server.
const required = ['VBR_LIVE_ENV', ...Object.values(CREDENTIAL_ENV)];
const missing = required.filter((name) => !process.env[name]);

if (missing.length > 0) {
  const reason = `live VBR tests skipped: set ${missing.join(', ')} to run them`;
  // One plain line: Jest's console would add a stack location under it.
  process.stderr.write(`${reason}\n`);
  // With every test skipped Jest runs no hooks, so the setup's afterAll
  // cannot unpatch http: this file's nock would serve the next file.
  nock.restore();
  describe.skip('the collection against a live VBR server', () => {
    it(reason, () => undefined);
  });
} else {
  describe('the collection against a live VBR server', () => {
    const environment = loadEnvironment(process.env.VBR_LIVE_ENV as string);

    beforeAll(() => {
      // The suite forbids the network; this file may reach the one server
      // the environment names, and nothing else.
      nock.enableNetConnect(new URL(environment.baseUrl).host);
    });

    it('passes every check', async () => {
      const credentials = {
        serviceAccountUsername: process.env[CREDENTIAL_ENV.serviceAccountUsername] as string,
        serviceAccountPassword: process.env[CREDENTIAL_ENV.serviceAccountPassword] as string,
        mfaUsername: process.env[CREDENTIAL_ENV.mfaUsername] as string,
        mfaPassword: process.env[CREDENTIAL_ENV.mfaPassword] as string,
      };

      const verdict = await runChecks({
        collection: loadCollection(COLLECTION_FILE),
        environment,
        credentials,
        caFile: process.env.VBR_LIVE_CA_CERT || undefined,
      });

      expect(verdict.transport).toBeNull();
      // A failing check shows its reason in the diff.
      expect(
        verdict.checks.map((c) => [c.id, c.passed ? 'passed' : `${c.outcome}: ${c.reason}`]),
      ).toEqual(CHECK_IDS.map((id) => [id, 'passed']));
      expect(verdict.passed).toBe(true);
    }, 150_000);
  });
}
