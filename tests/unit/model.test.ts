import { revisionsServedBy } from '../../src/revisions';
import { demoAccounts, VbrModel, type Account } from '../../src/simulator/model';
import type { ScenarioName } from '../../src/simulator/scenarios';
import { bodyOf, ModelClient, type TokenBody } from '../support/model-client';

type Setup = {
  model: VbrModel;
  client: ModelClient;
  service: Account;
  mfa: Account;
};

function setup(
  options: {
    scenario?: ScenarioName;
    revisions?: string[];
    expiresIn?: number;
    now?: () => number;
  } = {},
): Setup {
  const accounts = demoAccounts();
  const model = new VbrModel({ accounts, ...options });
  return {
    model,
    client: new ModelClient(model),
    service: accounts[0],
    mfa: accounts[1],
  };
}

function messages(model: VbrModel): string[] {
  return model.log.map((entry) => entry.message);
}

describe('VbrModel password grant', () => {
  it('issues a bearer token pair to the service account', () => {
    const { client, service } = setup();

    const response = client.passwordGrant(service.username, service.password);

    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const body = bodyOf<TokenBody>(response);
    expect(body).toMatchObject({
      token_type: 'bearer',
      expires_in: 900,
      username: service.username,
    });
    expect(body.access_token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(body.refresh_token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(body.refresh_token).not.toBe(body.access_token);
  });

  it('decodes a form-encoded password holding &, +, % and #', () => {
    const { client, service } = setup();
    expect(service.password).toMatch(/&\+%#$/);

    const response = client.passwordGrant(service.username, service.password);

    expect(response.status).toBe(200);
  });

  it('refuses the MFA user with 401 AccessDenied after logging "Authenticated user"', () => {
    const { model, client, mfa } = setup();

    const response = client.passwordGrant(mfa.username, mfa.password);

    expect(response.status).toBe(401);
    expect(bodyOf(response)).toEqual({
      errorCode: 'AccessDenied',
      message: 'Authentication failed',
      resourceId: null,
    });
    const log = messages(model);
    const authenticated = log.indexOf(`Authenticated user: [.\\${mfa.username}]`);
    const loginFailed = log.indexOf(`Login failed for user '${mfa.username}'.`);
    expect(authenticated).toBeGreaterThanOrEqual(0);
    expect(loginFailed).toBeGreaterThan(authenticated);
    expect(log).toContain('Failed to create access token.');
  });

  it('refuses a wrong password with 401 without logging "Authenticated user"', () => {
    const { model, client, service } = setup();

    const response = client.passwordGrant(service.username, 'not-the-password');

    expect(response.status).toBe(401);
    expect(bodyOf(response)).toMatchObject({ errorCode: 'AccessDenied' });
    expect(messages(model).some((m) => m.startsWith('Authenticated user'))).toBe(false);
  });

  it('masks the password in its log', () => {
    const { model, client, service } = setup();

    client.passwordGrant(service.username, service.password);

    const log = messages(model).join('\n');
    expect(log).toContain('password=****');
    expect(log).not.toContain(service.password);
    expect(log).not.toContain(encodeURIComponent(service.password));
  });

  it('accepts grant_type in either case', () => {
    const { client, service } = setup();

    const capitalised = client.token({
      grant_type: 'Password',
      username: service.username,
      password: service.password,
    });
    const upper = client.token({
      grant_type: 'PASSWORD',
      username: service.username,
      password: service.password,
    });

    expect(capitalised.status).toBe(200);
    expect(upper.status).toBe(200);
  });

  it('refuses an unknown grant type with 400 UnexpectedContent', () => {
    const { client, service } = setup();

    const response = client.token({
      grant_type: 'mfa_token',
      username: service.username,
      password: service.password,
    });

    expect(response.status).toBe(400);
    expect(bodyOf(response)).toMatchObject({ errorCode: 'UnexpectedContent' });
  });

  it('refuses a form without a username with 400', () => {
    const { client, service } = setup();

    const response = client.token({
      grant_type: 'password',
      user: service.username,
      password: service.password,
    });

    expect(response.status).toBe(400);
  });
});

describe('VbrModel revisions', () => {
  it('refuses a revision it does not serve with 400 NotImplemented', () => {
    const { client, service } = setup();

    const response = client.token(
      {
        grant_type: 'password',
        username: service.username,
        password: service.password,
      },
      '1.0-rev0',
    );

    expect(response.status).toBe(400);
    expect(bodyOf(response)).toEqual({
      errorCode: 'NotImplemented',
      message: 'The specified API version is not supported.',
      resourceId: null,
    });
  });

  it('refuses a revision newer than its release', () => {
    const { client, service } = setup({ revisions: revisionsServedBy('1.2-rev1') });

    const newer = client.token(
      {
        grant_type: 'password',
        username: service.username,
        password: service.password,
      },
      '1.3-rev0',
    );
    const older = client.token(
      {
        grant_type: 'password',
        username: service.username,
        password: service.password,
      },
      '1.1-rev0',
    );

    expect(newer.status).toBe(400);
    expect(older.status).toBe(200);
  });

  it('refuses a request without x-api-version with 400', () => {
    const accounts = demoAccounts();
    const model = new VbrModel({ accounts });
    const client = new ModelClient(model, null);

    const response = client.passwordGrant(accounts[0].username, accounts[0].password);

    expect(response.status).toBe(400);
    expect(bodyOf(response)).toMatchObject({ errorCode: 'NotImplemented' });
  });

  it('answers the swagger probe per served revision without x-api-version', () => {
    const { model } = setup({ revisions: ['1.3-rev0'] });
    const probe = (revision: string) =>
      model.handle({
        method: 'GET',
        path: `/swagger/v${revision}/swagger.json`,
        headers: {},
        body: '',
      }).status;

    const statuses = [probe('1.3-rev0'), probe('1.3-rev2')];

    expect(statuses).toEqual([200, 404]);
  });
});

describe('VbrModel tokens', () => {
  it('opens GET /api/v1/sessions to an issued access token', () => {
    const { client, service } = setup();
    const token = bodyOf<TokenBody>(
      client.passwordGrant(service.username, service.password),
    );

    const response = client.sessions(token.access_token);

    expect(response.status).toBe(200);
  });

  it('refuses a garbage bearer token with 401', () => {
    const { client } = setup();

    const response = client.sessions('not.a.token');

    expect(response.status).toBe(401);
    expect(bodyOf(response)).toMatchObject({ errorCode: 'AccessDenied' });
  });

  it('honours a refresh token once', () => {
    const { client, service } = setup();
    const first = bodyOf<TokenBody>(
      client.passwordGrant(service.username, service.password),
    );

    const refreshed = client.refreshGrant(first.refresh_token);
    const reused = client.refreshGrant(first.refresh_token);

    expect(refreshed.status).toBe(200);
    const second = bodyOf<TokenBody>(refreshed);
    expect(second.access_token).not.toBe(first.access_token);
    expect(client.sessions(second.access_token).status).toBe(200);
    expect(reused.status).toBe(401);
  });

  it('accepts the capitalised Refresh_token grant type', () => {
    const { client, service } = setup();
    const first = bodyOf<TokenBody>(
      client.passwordGrant(service.username, service.password),
    );

    const response = client.token({
      grant_type: 'Refresh_token',
      refresh_token: first.refresh_token,
    });

    expect(response.status).toBe(200);
  });

  it('revokes both tokens at logout', () => {
    const { client, service } = setup();
    const token = bodyOf<TokenBody>(
      client.passwordGrant(service.username, service.password),
    );

    const logout = client.logout(token.access_token);

    expect(logout.status).toBe(200);
    expect(bodyOf(logout)).toEqual({});
    expect(client.sessions(token.access_token).status).toBe(401);
    expect(client.refreshGrant(token.refresh_token).status).toBe(401);
  });

  it('expires the access token expires_in seconds after issue', () => {
    let now = Date.parse('2025-06-10T10:29:39Z');
    const { client, service } = setup({ expiresIn: 60, now: () => now });
    const token = bodyOf<TokenBody>(
      client.passwordGrant(service.username, service.password),
    );

    now += 59_999;
    const justBefore = client.sessions(token.access_token);
    now += 1;
    const atExpiry = client.sessions(token.access_token);

    expect(token.expires_in).toBe(60);
    expect(token['.issued']).toBe('2025-06-10T10:29:39.000Z');
    expect(token['.expires']).toBe('2025-06-10T10:30:39.000Z');
    expect(justBefore.status).toBe(200);
    expect(atExpiry.status).toBe(401);
    expect(bodyOf(atExpiry)).toMatchObject({ errorCode: 'ExpiredToken' });
  });

  it('still refreshes after the access token expired', () => {
    let now = Date.parse('2025-06-10T10:29:39Z');
    const { client, service } = setup({ expiresIn: 60, now: () => now });
    const token = bodyOf<TokenBody>(
      client.passwordGrant(service.username, service.password),
    );

    now += 3_600_000;
    const response = client.refreshGrant(token.refresh_token);

    expect(response.status).toBe(200);
  });

  it('refuses a refresh token older than 14 days', () => {
    let now = Date.parse('2025-06-10T10:29:39Z');
    const { client, service } = setup({ now: () => now });
    const token = bodyOf<TokenBody>(
      client.passwordGrant(service.username, service.password),
    );

    now += 14 * 24 * 3600 * 1000;
    const response = client.refreshGrant(token.refresh_token);

    expect(response.status).toBe(401);
  });

  it('answers GET /api/v1/serverInfo with 403 to a role below Backup Administrator', () => {
    const accounts: Account[] = [
      {
        username: 'svc-viewer',
        password: 'viewer-password',
        isServiceAccount: true,
        mfaEnabled: false,
        role: 'Backup Viewer',
      },
    ];
    const model = new VbrModel({ accounts });
    const client = new ModelClient(model);
    const token = bodyOf<TokenBody>(
      client.passwordGrant('svc-viewer', 'viewer-password'),
    );

    const response = model.handle({
      method: 'GET',
      path: '/api/v1/serverInfo',
      headers: {
        'x-api-version': '1.3-rev2',
        authorization: `Bearer ${token.access_token}`,
      },
      body: '',
    });

    expect(response.status).toBe(403);
    expect(client.sessions(token.access_token).status).toBe(200);
  });
});

describe('VbrModel scenarios', () => {
  it('answers every 401 with an empty body under empty-401-body', () => {
    const { client, mfa } = setup({ scenario: 'empty-401-body' });

    const refused = client.passwordGrant(mfa.username, mfa.password);
    const garbage = client.sessions('not.a.token');

    expect(refused).toEqual({ status: 401, headers: {}, body: '' });
    expect(garbage).toEqual({ status: 401, headers: {}, body: '' });
  });

  it('issues the MFA user a token under mfa-bypass', () => {
    const { client, mfa } = setup({ scenario: 'mfa-bypass' });

    const response = client.passwordGrant(mfa.username, mfa.password);

    expect(response.status).toBe(200);
  });

  it('refuses the service account after its password under service-account-refused', () => {
    const { model, client, service } = setup({ scenario: 'service-account-refused' });

    const response = client.passwordGrant(service.username, service.password);

    expect(response.status).toBe(401);
    expect(messages(model)).toContain(`Authenticated user: [.\\${service.username}]`);
  });

  it('accepts any password for a known user under wrong-password-accepted', () => {
    const { client, service } = setup({ scenario: 'wrong-password-accepted' });

    const known = client.passwordGrant(service.username, 'anything');
    const unknown = client.passwordGrant('nobody', 'anything');

    expect(known.status).toBe(200);
    expect(unknown.status).toBe(401);
  });

  it('serves any well-formed revision under revision-ignored', () => {
    const { client, service } = setup({ scenario: 'revision-ignored' });

    const response = client.token(
      {
        grant_type: 'password',
        username: service.username,
        password: service.password,
      },
      '1.0-rev0',
    );

    expect(response.status).toBe(200);
  });

  it('refuses issued tokens on protected endpoints under token-not-accepted', () => {
    const { client, service } = setup({ scenario: 'token-not-accepted' });
    const token = bodyOf<TokenBody>(
      client.passwordGrant(service.username, service.password),
    );

    const response = client.sessions(token.access_token);

    expect(response.status).toBe(401);
  });

  it('keeps the token working after logout under logout-keeps-token', () => {
    const { client, service } = setup({ scenario: 'logout-keeps-token' });
    const token = bodyOf<TokenBody>(
      client.passwordGrant(service.username, service.password),
    );

    const logout = client.logout(token.access_token);

    expect(logout.status).toBe(200);
    expect(client.sessions(token.access_token).status).toBe(200);
  });
});
