import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';

import { parseAllowlist, runAudit } from '../../src/audit';
import { HarnessError } from '../../src/errors';
import { serveSimulator } from '../../src/simulator/https-face';
import { demoAccounts, demoPassword, VbrModel, type Account } from '../../src/simulator/model';
import { startSimulator, type RunningSimulator } from '../../src/simulator/start';
import { ensureBuilt } from '../support/build';
import { credentialEnv } from '../support/fixtures';
import { cleanEnv, cliProcess } from '../support/harness';
import { runCli, scratch, type Scratch } from './support';

const extraServiceAccount = (): Account => ({
  username: 'svc-reports',
  password: demoPassword(),
  isServiceAccount: true,
  mfaEnabled: false,
  role: 'Backup Viewer',
});

function auditOf(simulator: RunningSimulator, allowlist?: string[]) {
  return runAudit({
    baseUrl: simulator.baseUrl,
    apiVersion: simulator.apiVersion,
    caFile: simulator.caFile,
    credentials: simulator.credentials,
    allowlist,
  });
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('runAudit against the loopback simulator', () => {
  let simulator: RunningSimulator;

  afterEach(async () => {
    await simulator?.close();
  });

  it('lists its service account and flags nothing without an allowlist', async () => {
    simulator = await startSimulator({ port: 0 });

    const result = await auditOf(simulator);

    expect(result).toMatchObject({ state: 'clean', isMfaEnabled: true, hasAllowlist: false, unexpected: [], reasons: [] });
    expect(result.serviceAccounts).toEqual([
      { name: 'VBRSIM\\svc-harness', type: 'InternalUser', roles: ['Backup Administrator'], isExpected: true },
    ]);
  });

  it('flags a second service account that is not on the allowlist', async () => {
    simulator = await startSimulator({ port: 0, accounts: [...demoAccounts(), extraServiceAccount()] });

    const result = await auditOf(simulator, ['svc-harness']);

    expect(result.state).toBe('unexpected');
    expect(result.serviceAccounts.map((a) => [a.name, a.isExpected])).toEqual([
      ['VBRSIM\\svc-harness', true],
      ['VBRSIM\\svc-reports', false],
    ]);
    expect(result.unexpected.map((a) => a.name)).toEqual(['VBRSIM\\svc-reports']);
    expect(result.reasons).toEqual(['VBRSIM\\svc-reports is a service account, so it bypasses MFA, but is not on the allowlist']);
  });

  it('logs out when it is done, leaving no live token', async () => {
    simulator = await startSimulator({ port: 0 });
    const seen: string[] = [];
    const handle = simulator.model.handle.bind(simulator.model);
    jest.spyOn(simulator.model, 'handle').mockImplementation((request) => {
      const response = handle(request);
      seen.push(`${request.method} ${request.path.split('?')[0]} ${response.status}`);
      return response;
    });

    await auditOf(simulator);

    expect(seen).toEqual([
      'POST /api/oauth2/token 200',
      'GET /api/v1/security/users 200',
      'GET /api/v1/security/settings 200',
      'POST /api/oauth2/logout 200',
    ]);
  });

  it('reports a revision older than the users API as unavailable, without a request', async () => {
    simulator = await startSimulator({ port: 0, apiVersion: '1.2-rev1' });

    const result = await auditOf(simulator);

    expect(result).toMatchObject({
      state: 'unavailable',
      reasons: ['x-api-version 1.2-rev1 predates the users API: the audit needs 1.3-rev1 (VBR 13.0.1) or later'],
    });
    expect(simulator.model.log).toEqual([]);
  });

  it('reports a service account that may not read the users list as unavailable', async () => {
    const accounts = demoAccounts();
    accounts[0].role = 'Backup Operator';
    simulator = await startSimulator({ port: 0, accounts });

    const result = await auditOf(simulator);

    expect(result).toMatchObject({
      state: 'unavailable',
      reasons: ['the service account may not read the users list (403): the users API is for Backup Administrator only'],
      hint: 'give the service account the Backup Administrator role, or audit with an account that has it',
    });
  });

  it('reports a refused token as unavailable', async () => {
    simulator = await startSimulator({ port: 0 });

    const result = await runAudit({
      baseUrl: simulator.baseUrl,
      apiVersion: simulator.apiVersion,
      caFile: simulator.caFile,
      credentials: { ...simulator.credentials, serviceAccountPassword: 'wrong' },
    });

    expect(result.reasons).toEqual(['the service account was refused a token (401), so the audit cannot read the users list']);
  });

  it('flags MFA switched off server-wide', async () => {
    const accounts = demoAccounts();
    const server = await serveSimulator(new VbrModel({ accounts, isMfaEnabled: false }), { port: 0 });

    const result = await runAudit({
      baseUrl: server.baseUrl,
      apiVersion: '1.3-rev2',
      caFile: server.caFile,
      credentials: { serviceAccountUsername: accounts[0].username, serviceAccountPassword: accounts[0].password },
      allowlist: ['svc-harness'],
    });
    await server.close();

    expect(result).toMatchObject({
      state: 'unexpected',
      isMfaEnabled: false,
      unexpected: [],
      reasons: ['MFA is off server-wide (GET /api/v1/security/settings): every account bypasses it'],
    });
  });

  it('refuses a certificate it was not told to trust', async () => {
    simulator = await startSimulator({ port: 0 });

    const attempt = runAudit({ baseUrl: simulator.baseUrl, apiVersion: simulator.apiVersion, credentials: simulator.credentials });

    await expect(attempt).rejects.toMatchObject({ code: 'ERR_TLS_UNTRUSTED', exitCode: 5 });
  });

  it('reports a refused connection as unreachable', async () => {
    const port = await closedPort();

    const attempt = runAudit({
      baseUrl: `https://127.0.0.1:${port}`,
      apiVersion: '1.3-rev2',
      credentials: { serviceAccountUsername: 'svc', serviceAccountPassword: 'pw' },
    });

    await expect(attempt).rejects.toBeInstanceOf(HarnessError);
    await expect(attempt).rejects.toMatchObject({
      code: 'ERR_SERVER_UNREACHABLE',
      message: `127.0.0.1:${port} refused the connection (ECONNREFUSED)`,
    });
  });
});

describe('veeam-auth audit', () => {
  let dir: Scratch;

  beforeEach(() => {
    dir = scratch();
  });

  afterEach(() => dir.remove());

  it("lists the built-in simulator's service account, exit 0", async () => {
    const result = await runCli(['audit']);

    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^audit of https:\/\/127\.0\.0\.1:\d+, x-api-version 1\.3-rev2\n/);
    expect(result.stdout).toContain(
      'MFA server-wide: on\n' +
        'service accounts (they bypass MFA): 1, no --allowlist given, so none is flagged\n' +
        '  listed      VBRSIM\\svc-harness  InternalUser   Backup Administrator\n',
    );
  });

  it('flags a service account missing from --allowlist, exit 1', async () => {
    const allowlist = path.join(dir.dir, 'allowlist.txt');
    writeFileSync(allowlist, '# service accounts we run\nsvc-nightly  # the nightly export\n');

    const result = await runCli(['audit', '--allowlist', allowlist]);

    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`checked against ${allowlist}\n  UNEXPECTED  VBRSIM\\svc-harness`);
    expect(result.stderr).toBe(
      'error: 1 service account is not on the allowlist: VBRSIM\\svc-harness\n' +
        `  hint: clear the service-account flag in Users and Roles, or add the name to ${allowlist} if it is meant to bypass MFA\n`,
    );
  });

  it('passes when the allowlist names every service account', async () => {
    const allowlist = path.join(dir.dir, 'allowlist.txt');
    writeFileSync(allowlist, 'VBRSIM\\svc-harness\r\n');

    const result = await runCli(['audit', '--allowlist', allowlist]);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('  expected    VBRSIM\\svc-harness');
  });

  it('refuses an allowlist file that does not exist, exit 3', async () => {
    const allowlist = path.join(dir.dir, 'missing.txt');

    const result = await runCli(['audit', '--allowlist', allowlist]);

    expect(result.code).toBe(3);
    expect(result.stderr).toBe(
      `error: allowlist ${allowlist}: no such file\n  hint: give a text file with one account name per line (# starts a comment)\n`,
    );
  });
});

describe('veeam-auth audit --env, as its own process', () => {
  let simulator: RunningSimulator;
  let dir: Scratch;

  beforeAll(async () => {
    ensureBuilt();
    dir = scratch();
    simulator = await startSimulator({ port: 0, accounts: [...demoAccounts(), extraServiceAccount()] });
  });

  afterAll(async () => {
    await simulator.close();
    dir.remove();
  });

  it('flags the service account the allowlist does not name, exit 1, and never prints a password', async () => {
    const allowlist = path.join(dir.dir, 'allowlist.txt');
    writeFileSync(allowlist, 'svc-harness\n');
    const env = cleanEnv(credentialEnv(simulator.credentials));

    const result = await cliProcess(
      ['audit', '--env', simulator.environmentFile, '--ca-cert', simulator.caFile, '--allowlist', allowlist],
      { env },
    );

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('  expected    VBRSIM\\svc-harness');
    expect(result.stdout).toContain('  UNEXPECTED  VBRSIM\\svc-reports  InternalUser   Backup Viewer');
    expect(result.stderr).toMatch(/^error: 1 service account is not on the allowlist: VBRSIM\\svc-reports\n  hint: /);
    const printed = result.stdout + result.stderr;
    for (const account of simulator.model.accounts) expect(printed).not.toContain(account.password);
  });
});

describe('parseAllowlist', () => {
  it('reads one name per line, skipping comments and blank lines', () => {
    const text = '# who may bypass MFA\r\nTECH\\svc-backup\n\n  svc-harness   # CI\nname#with-hash\n';

    const names = parseAllowlist(text);

    expect(names).toEqual(['TECH\\svc-backup', 'svc-harness', 'name#with-hash']);
  });
});
