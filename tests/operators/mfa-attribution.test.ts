import { attributeMfaRefusal } from '../../src/attribution';
import type { Execution } from '../../src/runner/newman-run';
import type { Verdict } from '../../src/run-checks';
import { demoAccounts, VbrModel, type Account } from '../../src/simulator/model';
import { findByName, namesMatch } from '../../src/user-names';
import { nockServer, runAgainst, type NockServer } from '../support/harness';
import { runCli } from './support';

function mfaCheck(verdict: Verdict) {
  const check = verdict.checks.find((c) => c.id === 'mfa-user-refused');
  if (!check) throw new Error('no verdict for mfa-user-refused');
  return check;
}

function onRevision(server: NockServer, apiVersion: string) {
  return {
    environment: {
      name: 'test',
      baseUrl: server.baseUrl,
      apiVersion,
      values: [
        { key: 'baseUrl', value: server.baseUrl },
        { key: 'apiVersion', value: apiVersion },
      ],
    },
  };
}

function accounts(change: (service: Account, mfa: Account) => void): Account[] {
  const list = demoAccounts();
  change(list[0], list[1]);
  return list;
}

describe('why the MFA user got 401, against a simulated server', () => {
  it('says "refused because of MFA" on 1.3-rev2, from the users list', async () => {
    const server = nockServer('healthy');

    const verdict = await runAgainst(server);

    expect(mfaCheck(verdict)).toMatchObject({ outcome: 'passed', status: 401, reason: 'as expected' });
    expect(mfaCheck(verdict).attribution).toEqual({
      cause: 'mfa',
      summary:
        "refused because of MFA: the users list's mfaEnabled shows MFA on for the MFA user, who is no service account, " +
        'and the users list flags the service account isServiceAccount',
    });
    expect(verdict.passed).toBe(true);
  });

  it('uses the server-wide MFA setting on 1.3-rev1, whose users list has no per-user flag', async () => {
    const server = nockServer('healthy');

    const verdict = await runAgainst(server, onRevision(server, '1.3-rev1'));

    expect(mfaCheck(verdict).attribution).toEqual({
      cause: 'mfa',
      summary:
        'refused because of MFA: the server-wide MFA setting (this revision lists no per-user mfaEnabled) shows MFA on ' +
        'for the MFA user, who is no service account, and the users list flags the service account isServiceAccount',
    });
  });

  it('cannot tell on 1.2-rev1, and sends no users API request there', async () => {
    const server = nockServer('healthy');
    const paths: string[] = [];
    const handle = server.model.handle.bind(server.model);
    jest.spyOn(server.model, 'handle').mockImplementation((request) => {
      paths.push(request.path);
      return handle(request);
    });

    const verdict = await runAgainst(server, onRevision(server, '1.2-rev1'));

    expect(mfaCheck(verdict)).toMatchObject({ outcome: 'passed', status: 401 });
    expect(mfaCheck(verdict).attribution).toEqual({
      cause: 'unknown',
      summary: 'could not tell why: x-api-version 1.2-rev1 predates the users API (1.3-rev1, VBR 13.0.1)',
    });
    expect(paths.filter((p) => p.includes('/security/'))).toEqual([]);
  });

  it('cannot tell when the service account may not read the users list (403)', async () => {
    const server = nockServer('healthy', {
      accounts: accounts((service) => {
        service.role = 'Backup Viewer';
      }),
    });

    const verdict = await runAgainst(server);

    expect(mfaCheck(verdict).outcome).toBe('passed');
    expect(mfaCheck(verdict).attribution?.summary).toBe(
      'could not tell why: the service account may not read the users list (403): it needs the Backup Administrator role',
    );
  });

  it('cannot tell when the MFA user is not in the users list', async () => {
    const server = nockServer('healthy');

    const verdict = await runAgainst(server, {
      credentials: { ...server.credentials, mfaUsername: 'someone-else' },
    });

    expect(mfaCheck(verdict).attribution?.summary).toBe(
      'could not tell why: the MFA user is not in the users list; an account that gets its role through a group is listed as the group',
    );
  });

  it('voids the check when the users list shows MFA off for the account given as the MFA user', async () => {
    const server = nockServer('healthy', {
      accounts: accounts((_service, mfa) => {
        mfa.mfaEnabled = false;
      }),
    });

    const verdict = await runAgainst(server, {
      credentials: { ...server.credentials, mfaPassword: 'not-the-password' },
    });

    expect(mfaCheck(verdict)).toMatchObject({
      passed: false,
      outcome: 'not-counted',
      status: 401,
      reason: "not counted: the users list's mfaEnabled shows MFA off, so the 401 has another cause (a wrong password?)",
    });
    expect(mfaCheck(verdict).attribution?.cause).toBe('not-mfa');
    expect(verdict.passed).toBe(false);
  });

  it('voids the check when the users list flags the MFA user as a service account', async () => {
    const server = nockServer('healthy', {
      accounts: accounts((_service, mfa) => {
        mfa.isServiceAccount = true;
      }),
    });

    const verdict = await runAgainst(server, {
      credentials: { ...server.credentials, mfaPassword: 'not-the-password' },
    });

    expect(mfaCheck(verdict)).toMatchObject({
      outcome: 'not-counted',
      reason:
        'not counted: the users list flags the MFA user as a service account, which bypasses MFA, ' +
        'so the 401 has another cause (a wrong password?)',
    });
  });

  it('cannot tell when the service account is not flagged isServiceAccount', async () => {
    const server = nockServer('healthy', {
      accounts: accounts((service) => {
        service.isServiceAccount = false;
      }),
    });

    const verdict = await runAgainst(server);

    expect(mfaCheck(verdict).outcome).toBe('passed');
    expect(mfaCheck(verdict).attribution?.summary).toBe(
      'could not tell why: the MFA user has MFA on, but the service account is not flagged isServiceAccount, ' +
        'so the run does not show that the flag is what lets an account through',
    );
  });

  it('never lets the evidence fail the check, even when the token stops working', async () => {
    const server = nockServer('token-not-accepted');

    const verdict = await runAgainst(server);

    expect(mfaCheck(verdict).outcome).toBe('passed');
    expect(mfaCheck(verdict).attribution?.summary).toBe(
      "could not tell why: the users list refused the service account's token (401); read it before logout",
    );
  });

  it('adds nothing when the MFA user was not refused', async () => {
    const server = nockServer('mfa-bypass');

    const verdict = await runAgainst(server);

    expect(mfaCheck(verdict)).toMatchObject({ outcome: 'failed', status: 200 });
    expect(mfaCheck(verdict).attribution).toBeUndefined();
  });
});

describe('attributeMfaRefusal', () => {
  const users = (data: unknown[], total = data.length): Execution => ({
    folder: 'mfa-user-refused',
    itemName: 'Users list (evidence)',
    method: 'GET',
    url: 'https://vbr.test:9419/api/v1/security/users',
    headers: [],
    body: '',
    status: 200,
    responseBody: JSON.stringify({ data, pagination: { total, count: data.length } }),
    requestError: null,
    assertions: [],
  });
  const user = (name: string, isServiceAccount: boolean, mfaEnabled: boolean) => ({
    name,
    type: 'InternalUser',
    isServiceAccount,
    mfaEnabled,
  });

  it('notes a users list that holds only part of the users', () => {
    const input = {
      executions: [users([user('TECH\\svc', true, false)], 350)],
      apiVersion: '1.3-rev2',
      serviceAccountUsername: 'svc',
      mfaUsername: 'jdoe',
    };

    const result = attributeMfaRefusal(input);

    expect(result.summary).toBe(
      'could not tell why: the MFA user is not in the users list (it holds 1 of 350 entries); ' +
        'an account that gets its role through a group is listed as the group',
    );
  });

  it('refuses to guess between two entries that match a bare name', () => {
    const input = {
      executions: [users([user('TECH\\jdoe', false, true), user('LAB\\jdoe', false, true), user('TECH\\svc', true, false)])],
      apiVersion: '1.3-rev2',
      serviceAccountUsername: 'TECH\\svc',
      mfaUsername: 'jdoe',
    };

    const result = attributeMfaRefusal(input);

    expect(result).toEqual({
      cause: 'unknown',
      summary: "could not tell why: 2 entries of the users list match the MFA user's name",
    });
  });
});

describe('namesMatch', () => {
  it('matches a bare name, a .\\ local name and a domain name of the same account', () => {
    const pairs: [string, string][] = [
      ['jdoe', 'TECH\\jdoe'],
      ['.\\jdoe', 'VBRSIM\\JDoe'],
      ['jdoe@tech.local', 'jdoe'],
      ['TECH\\jdoe', 'tech\\JDOE'],
    ];

    const matches = pairs.map(([a, b]) => namesMatch(a, b));

    expect(matches).toEqual([true, true, true, true]);
  });

  it('does not match two different domains, or two different accounts', () => {
    const pairs: [string, string][] = [
      ['TECH\\jdoe', 'LAB\\jdoe'],
      ['jdoe@tech.local', 'TECH\\jdoe'],
      ['jdoe', 'TECH\\jdoe2'],
    ];

    const matches = pairs.map(([a, b]) => namesMatch(a, b));

    expect(matches).toEqual([false, false, false]);
  });

  it('prefers an exact entry over one that matches by its account part', () => {
    const entries = [{ name: 'TECH\\jdoe' }, { name: 'jdoe' }];

    const found = findByName(entries, 'jdoe');

    expect(found).toEqual({ kind: 'one', entry: { name: 'jdoe' } });
  });
});

describe('veeam-auth check', () => {
  it('prints why the MFA user got 401 under the table', async () => {
    const result = await runCli(['check']);

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /6 passed, 0 failed\nwhy mfa-user-refused got 401: refused because of MFA: the users list's mfaEnabled shows MFA on/,
    );
  });
});

describe('the simulated users API', () => {
  function tokenFor(model: VbrModel, account: Account): string {
    const response = model.handle({
      method: 'POST',
      path: '/api/oauth2/token',
      headers: { 'x-api-version': '1.3-rev2', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', username: account.username, password: account.password }).toString(),
    });
    return JSON.parse(response.body).access_token;
  }

  function get(model: VbrModel, path: string, token: string, apiVersion = '1.3-rev2') {
    const response = model.handle({
      method: 'GET',
      path,
      headers: { 'x-api-version': apiVersion, authorization: `Bearer ${token}` },
      body: '',
    });
    return { status: response.status, body: response.body ? JSON.parse(response.body) : null };
  }

  it('serves a UsersResult with mfaEnabled on 1.3-rev2', () => {
    const list = demoAccounts();
    const model = new VbrModel({ accounts: list });

    const { status, body } = get(model, '/api/v1/security/users', tokenFor(model, list[0]));

    expect(status).toBe(200);
    expect(body.pagination).toEqual({ total: 3, count: 3, skip: 0, limit: 200 });
    expect(body.data.map((u: any) => [u.name, u.type, u.isServiceAccount, u.mfaEnabled])).toEqual([
      ['BUILTIN\\Administrators', 'InternalGroup', false, false],
      ['VBRSIM\\svc-harness', 'InternalUser', true, false],
      ['VBRSIM\\mfa-admin', 'InternalUser', false, true],
    ]);
    for (const user of body.data) {
      expect(user.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(user.roles).toEqual([expect.objectContaining({ name: 'Backup Administrator' })]);
    }
  });

  it('leaves mfaEnabled out and prefixes role names with "Veeam " on 1.3-rev1', () => {
    const list = demoAccounts();
    const model = new VbrModel({ accounts: list });

    const { body } = get(model, '/api/v1/security/users', tokenFor(model, list[0]), '1.3-rev1');

    for (const user of body.data) expect(user).not.toHaveProperty('mfaEnabled');
    expect(body.data[1].roles[0].name).toBe('Veeam Backup Administrator');
  });

  it('filters service accounts and pages with skip and limit', () => {
    const list = demoAccounts();
    const model = new VbrModel({ accounts: list });
    const token = tokenFor(model, list[0]);

    const services = get(model, '/api/v1/security/users?isServiceAccountFilter=true', token).body;
    const page = get(model, '/api/v1/security/users?skip=1&limit=1', token).body;

    expect(services.data.map((u: any) => u.name)).toEqual(['VBRSIM\\svc-harness']);
    expect(page).toMatchObject({ pagination: { total: 3, count: 1, skip: 1, limit: 1 } });
    expect(page.data[0].name).toBe('VBRSIM\\svc-harness');
  });

  it('answers 403 to a role other than Backup Administrator, 401 without a token, 404 before 1.3-rev1', () => {
    const list = accounts((service) => {
      service.role = 'Backup Operator';
    });
    const model = new VbrModel({ accounts: list });
    const token = tokenFor(model, list[0]);

    const statuses = [
      get(model, '/api/v1/security/users', token).status,
      get(model, '/api/v1/security/settings', token).status,
      get(model, '/api/v1/security/users', 'no-such-token').status,
      get(model, '/api/v1/security/users', token, '1.3-rev0').status,
    ];

    expect(statuses).toEqual([403, 403, 401, 404]);
  });

  it('reports MFA server-wide, and lets MFA users in when it is off', () => {
    const list = demoAccounts();
    const on = new VbrModel({ accounts: list });
    const off = new VbrModel({ accounts: list, isMfaEnabled: false });

    const settings = [on, off].map((m) => get(m, '/api/v1/security/settings', tokenFor(m, list[0])).body);

    expect(settings).toEqual([{ mfaEnabled: true }, { mfaEnabled: false }]);
    expect(tokenFor(off, list[1])).toEqual(expect.any(String));
    expect(tokenFor(on, list[1])).toBeUndefined();
  });
});
