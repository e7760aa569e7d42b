import type { CheckId } from '../../src/checks';
import type { Execution } from '../../src/runner/newman-run';

const BASE_URL = 'https://vbr.test:9419';

const JSON_TYPE = 'application/json; charset=utf-8';

/** One request as newman reports it, passing its tests unless told otherwise. */
export function execution(
  folder: CheckId,
  overrides: Partial<Execution> = {},
): Execution {
  return {
    folder,
    itemName: folder,
    method: 'POST',
    url: `${BASE_URL}/api/oauth2/token`,
    headers: [
      { key: 'x-api-version', value: '1.3-rev2' },
      { key: 'Content-Type', value: 'application/x-www-form-urlencoded' },
    ],
    body: 'grant_type=password&username=svc-harness&password=secret%26',
    status: 200,
    responseBody: '{}',
    contentType: JSON_TYPE,
    requestError: null,
    assertions: [{ name: `${folder} passes`, error: null }],
    ...overrides,
  };
}

const denied = JSON.stringify({
  errorCode: 'AccessDenied',
  message: 'Authentication failed',
  resourceId: null,
});

const bearer = [
  { key: 'x-api-version', value: '1.3-rev2' },
  { key: 'Authorization', value: 'Bearer eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl' },
];

/** What newman reports for the collection against a healthy server. */
export function healthyExecutions(): Execution[] {
  return [
    execution('service-account-token', {
      responseBody: JSON.stringify({
        access_token: 'eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl',
        token_type: 'bearer',
        refresh_token: 'eyJhbGciOi.eyJyZWZyZXNo.c2lnbmF0dXJl',
        expires_in: 900,
      }),
    }),
    execution('token-opens-protected-endpoint', {
      method: 'GET',
      url: `${BASE_URL}/api/v1/sessions?limit=1`,
      headers: bearer,
      body: '',
      responseBody: JSON.stringify({ data: [] }),
    }),
    execution('mfa-user-refused', {
      body: 'grant_type=password&username=mfa-admin&password=other%23',
      status: 401,
      responseBody: denied,
    }),
    execution('wrong-password-refused', { status: 401, responseBody: denied }),
    execution('unsupported-revision-refused', {
      headers: [{ key: 'x-api-version', value: '1.0-rev0' }],
      status: 400,
      responseBody: JSON.stringify({ errorCode: 'NotImplemented' }),
    }),
    execution('logout-revokes-token', {
      itemName: 'Logout answers 200',
      url: `${BASE_URL}/api/oauth2/logout`,
      headers: bearer,
      body: '',
      responseBody: '{}',
    }),
    execution('logout-revokes-token', {
      itemName: 'Old token is refused after logout',
      method: 'GET',
      url: `${BASE_URL}/api/v1/sessions?limit=1`,
      headers: bearer,
      body: '',
      status: 401,
      responseBody: denied,
    }),
  ];
}

/** Replaces the first execution of `folder` with an edited copy. */
export function edit(
  executions: Execution[],
  folder: CheckId,
  change: (e: Execution) => Partial<Execution>,
): Execution[] {
  const index = executions.findIndex((e) => e.folder === folder);
  return executions.map((e, i) => (i === index ? { ...e, ...change(e) } : e));
}
