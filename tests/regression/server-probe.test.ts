import { Redactor } from '../../src/redact';
import { readServerBuild } from '../../src/server-probe';
import { demoAccounts } from '../../src/simulator/model';
import { nockServer } from '../support/harness';

describe('readServerBuild', () => {
  it('reads buildVersion from GET /api/v1/serverInfo and logs out', async () => {
    const server = nockServer('healthy');
    const redactor = new Redactor();

    const build = await readServerBuild({ baseUrl: server.baseUrl, apiVersion: '1.3-rev2', credentials: server.credentials, redactor });

    expect(build).toEqual({ buildVersion: '13.1.0.411', note: 'from GET /api/v1/serverInfo' });
    expect(redactor.redact(JSON.stringify(server.model.log))).not.toContain(server.credentials.serviceAccountPassword);
  });

  it('leaves the build unknown, saying why, when the account may not read it (403)', async () => {
    const accounts = demoAccounts();
    accounts[0].role = 'Backup Viewer';
    const server = nockServer('healthy', { accounts });

    const build = await readServerBuild({ baseUrl: server.baseUrl, apiVersion: '1.3-rev2', credentials: server.credentials, redactor: new Redactor() });

    expect(build).toEqual({
      buildVersion: null,
      note: 'unknown: the service account may not read serverInfo (403; it needs Backup Administrator)',
    });
  });

  it('leaves the build unknown when the service account gets no token', async () => {
    const server = nockServer('service-account-refused');

    const build = await readServerBuild({ baseUrl: server.baseUrl, apiVersion: '1.3-rev2', credentials: server.credentials, redactor: new Redactor() });

    expect(build).toEqual({ buildVersion: null, note: 'unknown: the service account got no token (401)' });
  });
});
