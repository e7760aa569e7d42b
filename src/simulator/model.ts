import { randomBytes, randomUUID } from 'node:crypto';

import { isApiVersion, LATEST_API_VERSION, revisionOf, revisionsServedBy } from '../revisions';
import type { ScenarioName } from './scenarios';
import { hasUsersApi, usersResult } from './security';

export type Role =
  | 'Backup Administrator'
  | 'Security Administrator'
  | 'Backup Operator'
  | 'Restore Operator'
  | 'Backup Viewer';

export type Account = {
  username: string;
  password: string;
  isServiceAccount: boolean;
  mfaEnabled: boolean;
  role: Role;
};

/** One HTTP request as the server sees it; `body` is the raw wire text. */
export type SimRequest = {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
};

export type SimResponse = {
  status: number;
  headers: Record<string, string>;
  body: string;
};

/** One POST /api/oauth2/token the server received, whatever it answered. */
export type TokenRequest = {
  grant: string;
  username: string | null;
  /** Whether the password is the account's own: a wrong one counts toward lockout. */
  isPasswordRight: boolean;
};

/** One line of the server's REST log, as Svc.ResAPI.log would hold it. */
export type LogEntry = {
  time: Date;
  level: 'Info' | 'Error';
  message: string;
  /** The server thread that wrote the line; one per request here. */
  thread?: number;
};

export type VbrModelOptions = {
  accounts: Account[];
  /** Revisions served; defaults to those a server of the latest release serves. */
  revisions?: string[];
  /** What GET /api/v1/serverInfo reports; defaults to the latest release. */
  buildVersion?: string;
  scenario?: ScenarioName;
  /** Access-token lifetime in seconds, returned as `expires_in`. */
  expiresIn?: number;
  now?: () => number;
  /** MFA switched on server-wide (GET /api/v1/security/settings); on by default. */
  isMfaEnabled?: boolean;
  /** Called with each log line as the server writes it. */
  onLog?: (entry: LogEntry) => void;
};

type Session = {
  username: string;
  accessToken: string;
  refreshToken: string;
  accessExpiresAt: number;
  refreshExpiresAt: number;
  isRevoked: boolean;
  isRefreshUsed: boolean;
};

const LATEST_BUILD_VERSION = revisionOf(LATEST_API_VERSION)?.firstBuild ?? '';

const REFRESH_LIFETIME_MS = 14 * 24 * 3600 * 1000;

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * The behaviour of VBR's REST authentication, as one model that both the nock
 * interceptors and the loopback HTTPS server answer from. It follows the
 * OpenAPI specs (TokenModel, Error and its errorCode enum, statuses 200, 400,
 * 401, 403) and the captured MFA refusal: the password is accepted, then token
 * creation fails with 401 AccessDenied "Authentication failed".
 */
export class VbrModel {
  readonly accounts: readonly Account[];
  readonly revisions: readonly string[];
  readonly scenario: ScenarioName;
  readonly buildVersion: string;
  readonly log: LogEntry[] = [];
  /** Every token request received, so tests can count password attempts. */
  readonly tokenRequests: TokenRequest[] = [];
  readonly isMfaEnabled: boolean;

  private readonly expiresIn: number;
  private readonly now: () => number;
  private readonly onLog: ((entry: LogEntry) => void) | undefined;
  private thread = 0;
  private readonly byAccess = new Map<string, Session>();
  private readonly byRefresh = new Map<string, Session>();

  constructor(options: VbrModelOptions) {
    this.accounts = options.accounts;
    this.revisions = options.revisions ?? revisionsServedBy(LATEST_API_VERSION);
    this.scenario = options.scenario ?? 'healthy';
    this.buildVersion = options.buildVersion ?? LATEST_BUILD_VERSION;
    this.expiresIn = options.expiresIn ?? 900;
    this.now = options.now ?? Date.now;
    this.isMfaEnabled = options.isMfaEnabled ?? true;
    this.onLog = options.onLog;
  }

  /** Answers one request the way a VBR server would. */
  handle(request: SimRequest): SimResponse {
    const url = new URL(request.path, 'https://vbr.invalid');
    const method = request.method.toUpperCase();
    this.thread = (this.thread % 90) + 10;
    if (method === 'POST' && url.pathname === '/api/oauth2/token') {
      const form = new URLSearchParams(request.body);
      const username = form.get('username');
      const account = username === null ? undefined : this.findAccount(username);
      this.tokenRequests.push({
        grant: form.get('grant_type') ?? '',
        username,
        isPasswordRight: account !== undefined && account.password === form.get('password'),
      });
    }

    const swagger = /^\/swagger\/v([^/]+)\/swagger\.json$/.exec(url.pathname);
    if (swagger && method === 'GET') {
      return this.revisions.includes(swagger[1])
        ? json(200, { openapi: '3.0.1', info: { version: swagger[1] } })
        : json(404, error('NotFound', 'The requested resource was not found.'));
    }

    const refusal = this.refuseRevision(header(request, 'x-api-version'));
    if (refusal) return refusal;

    const route = `${method} ${url.pathname}`;
    switch (route) {
      case 'POST /api/oauth2/token':
        return this.token(request);
      case 'POST /api/oauth2/logout':
        return this.logout(request);
      case 'GET /api/v1/serverTime':
        return json(200, {
          serverTime: new Date(this.now()).toISOString(),
          timeZone: 'UTC',
        });
      case 'GET /api/v1/sessions':
        return this.withToken(request, () =>
          json(200, {
            data: [],
            pagination: { total: 0, count: 0, skip: 0, limit: 1 },
          }),
        );
      case 'GET /api/v1/serverInfo':
        return this.withToken(request, (account) =>
          account.role === 'Backup Administrator'
            ? json(200, {
                vbrId: '6745a759-2205-4cd2-b172-8ec8f7e60ef8',
                name: 'vbr-sim',
                buildVersion: this.buildVersion,
                patches: [],
              })
            : this.forbidden(),
        );
      case 'GET /api/v1/security/users':
      case 'GET /api/v1/security/settings':
        return this.security(request, url);
      default:
        return json(404, error('NotFound', 'The requested resource was not found.'));
    }
  }

  // The users API exists from 1.3-rev1 and is open to Backup Administrator
  // only. What an older revision answers is not documented; 404 is a guess.
  private security(request: SimRequest, url: URL): SimResponse {
    const apiVersion = header(request, 'x-api-version') ?? '';
    if (!hasUsersApi(apiVersion)) {
      return json(404, error('NotFound', 'The requested resource was not found.'));
    }

    return this.withToken(request, (account) => {
      if (account.role !== 'Backup Administrator') return this.forbidden();
      return url.pathname.endsWith('/users')
        ? json(200, usersResult(this.accounts, apiVersion, url.searchParams))
        : json(200, { mfaEnabled: this.isMfaEnabled });
    });
  }

  private refuseRevision(apiVersion: string | undefined): SimResponse | null {
    if (apiVersion === undefined) {
      return json(
        400,
        error('NotImplemented', 'The x-api-version header is required.'),
      );
    }

    const isServed =
      this.scenario === 'revision-ignored'
        ? isApiVersion(apiVersion)
        : this.revisions.includes(apiVersion);
    if (isServed) return null;

    return json(
      400,
      error('NotImplemented', 'The specified API version is not supported.'),
    );
  }

  private token(request: SimRequest): SimResponse {
    const type = header(request, 'content-type') ?? '';
    if (!type.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
      return json(400, error('UnexpectedContent', 'The request body is malformed.'));
    }

    const form = new URLSearchParams(request.body);
    // From 1.3-rev1 the spec capitalises the enum; the server takes both.
    const grant = (form.get('grant_type') ?? '').toLowerCase();
    if (grant === 'password') {
      const response = this.passwordGrant(form);
      // The server logs each answer; a token body is never written here.
      const body = response.status === 200 ? '' : ` ${response.body}`;
      this.write('Info', `[POST /api/oauth2/token]: [${response.status}]${body}`);
      return response;
    }
    if (grant === 'refresh_token') return this.refreshGrant(form);
    return json(400, error('UnexpectedContent', 'Unsupported grant type.'));
  }

  private passwordGrant(form: URLSearchParams): SimResponse {
    const username = form.get('username');
    const password = form.get('password');
    if (username === null || password === null) {
      return json(
        400,
        error('UnexpectedContent', 'The username and password fields are required.'),
      );
    }

    this.write('Info', `[User: Anonymous][POST] request to [/api/oauth2/token] deserialized. Message: [grant_type=password&username=${username}&password=****]`);

    const account = this.findAccount(username);
    const isPasswordRight =
      account !== undefined &&
      (account.password === password || this.scenario === 'wrong-password-accepted');
    if (!account || !isPasswordRight) {
      this.write('Error', `Failed to authenticate user '${username}'.`);
      return this.accessDenied('Authentication failed');
    }

    this.write('Info', `Authenticated user: [.\\${account.username}]`);

    // Veeam: MFA is not supported for non-interactive logins, so an MFA user
    // is refused after the password is accepted. Only the service-account
    // flag lets an account through.
    const isRefused =
      (account.mfaEnabled &&
        this.isMfaEnabled &&
        !account.isServiceAccount &&
        this.scenario !== 'mfa-bypass') ||
      (account.isServiceAccount && this.scenario === 'service-account-refused');
    if (isRefused) {
      this.write('Error', `Login failed for user '${account.username}'.`);
      this.write('Error', 'Failed to create access token.');
      this.write('Error', 'Authentication failed (System.Security.Authentication.AuthenticationException)');
      return this.accessDenied('Authentication failed');
    }

    return this.issue(account.username);
  }

  private refreshGrant(form: URLSearchParams): SimResponse {
    const session = this.byRefresh.get(form.get('refresh_token') ?? '');
    const isUsable =
      session !== undefined &&
      !session.isRevoked &&
      !session.isRefreshUsed &&
      session.refreshExpiresAt > this.now();
    if (!session || !isUsable) return this.accessDenied('Authentication failed');

    // A refresh token works once; the old access token stays valid until it
    // expires, as Veeam documents only the refresh token as single-use.
    session.isRefreshUsed = true;
    return this.issue(session.username);
  }

  private logout(request: SimRequest): SimResponse {
    return this.withToken(request, (_account, session) => {
      if (this.scenario !== 'logout-keeps-token') session.isRevoked = true;
      return json(200, {});
    });
  }

  private withToken(
    request: SimRequest,
    answer: (account: Account, session: Session) => SimResponse,
  ): SimResponse {
    const authorization = header(request, 'authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    const session = match ? this.byAccess.get(match[1]) : undefined;
    if (!session || session.isRevoked || this.scenario === 'token-not-accepted') {
      return this.accessDenied('Unauthorized. Get bearer JWT token at /api/oauth2/token');
    }
    if (session.accessExpiresAt <= this.now()) {
      return this.unauthorized('ExpiredToken', 'The access token has expired.');
    }

    const account = this.findAccount(session.username);
    if (!account) return this.accessDenied('Authentication failed');
    return answer(account, session);
  }

  private issue(username: string): SimResponse {
    const issuedAt = this.now();
    const session: Session = {
      username,
      accessToken: fakeJwt(username, 'access', issuedAt, this.expiresIn),
      refreshToken: fakeJwt(username, 'refresh', issuedAt, REFRESH_LIFETIME_MS / 1000),
      accessExpiresAt: issuedAt + this.expiresIn * 1000,
      refreshExpiresAt: issuedAt + REFRESH_LIFETIME_MS,
      isRevoked: false,
      isRefreshUsed: false,
    };
    this.byAccess.set(session.accessToken, session);
    this.byRefresh.set(session.refreshToken, session);

    return json(200, {
      access_token: session.accessToken,
      token_type: 'bearer',
      refresh_token: session.refreshToken,
      expires_in: this.expiresIn,
      '.issued': new Date(issuedAt).toISOString(),
      '.expires': new Date(session.accessExpiresAt).toISOString(),
      username,
    });
  }

  private findAccount(username: string): Account | undefined {
    // A bare name is a local account, which the server logs as `.\name`.
    const bare = username.startsWith('.\\') ? username.slice(2) : username;
    return this.accounts.find(
      (a) => a.username.toLowerCase() === bare.toLowerCase(),
    );
  }

  private accessDenied(message: string): SimResponse {
    return this.unauthorized('AccessDenied', message);
  }

  private unauthorized(errorCode: string, message: string): SimResponse {
    if (this.scenario === 'empty-401-body') {
      return { status: 401, headers: {}, body: '' };
    }
    return json(401, error(errorCode, message));
  }

  private forbidden(): SimResponse {
    return json(403, error('AccessDenied', 'Access denied.'));
  }

  private write(level: LogEntry['level'], message: string): void {
    const entry: LogEntry = { time: new Date(this.now()), level, message, thread: this.thread };
    this.log.push(entry);
    this.onLog?.(entry);
  }
}

function header(request: SimRequest, name: string): string | undefined {
  const value = request.headers[name] ?? request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

function error(errorCode: string, message: string) {
  return { errorCode, message, resourceId: null };
}

function json(status: number, body: unknown): SimResponse {
  return {
    status,
    headers: { 'content-type': JSON_TYPE },
    body: JSON.stringify(body),
  };
}

function fakeJwt(
  username: string,
  audience: 'access' | 'refresh',
  issuedAtMs: number,
  lifetimeSeconds: number,
): string {
  const part = (value: object) =>
    Buffer.from(JSON.stringify(value)).toString('base64url');
  const iat = Math.floor(issuedAtMs / 1000);
  return [
    part({ alg: 'RS512', typ: 'JWT' }),
    part({
      unique_name: username,
      jti: randomUUID(),
      iat,
      nbf: iat,
      exp: iat + Math.floor(lifetimeSeconds),
      aud: audience,
    }),
    randomBytes(32).toString('base64url'),
  ].join('.');
}

/** A password that exercises form encoding: it holds `&`, `+`, `%` and `#`. */
export function demoPassword(): string {
  return `${randomBytes(12).toString('base64url')}&+%#`;
}

/** The accounts a simulator starts with, passwords new each start. */
export function demoAccounts(): Account[] {
  return [
    {
      username: 'svc-harness',
      password: demoPassword(),
      isServiceAccount: true,
      mfaEnabled: false,
      role: 'Backup Administrator',
    },
    {
      username: 'mfa-admin',
      password: demoPassword(),
      isServiceAccount: false,
      mfaEnabled: true,
      role: 'Backup Administrator',
    },
  ];
}
