/**
 * The checks the collection proves. Each top-level folder of a collection is
 * one check, named by its id; the ids are stable across releases because the
 * CLI, reports and tests refer to them.
 */
export const CHECK_IDS = [
  'service-account-token',
  'token-opens-protected-endpoint',
  'mfa-user-refused',
  'wrong-password-refused',
  'unsupported-revision-refused',
  'logout-revokes-token',
] as const;

export type CheckId = (typeof CHECK_IDS)[number];

export type CheckDefinition = {
  id: CheckId;
  expectation: string;
  /** Checks that must pass in the same run for this one to count. */
  dependsOn: readonly CheckId[];
};

export const CHECKS: Record<CheckId, CheckDefinition> = {
  'service-account-token': {
    id: 'service-account-token',
    expectation: 'service account gets 200 with an access and refresh token',
    dependsOn: [],
  },
  'token-opens-protected-endpoint': {
    id: 'token-opens-protected-endpoint',
    expectation: 'the access token opens GET /api/v1/sessions (200)',
    dependsOn: ['service-account-token'],
  },
  'mfa-user-refused': {
    id: 'mfa-user-refused',
    expectation: 'MFA user is refused a token (401, no access_token)',
    // A 401 proves nothing when nobody can get a token from this server.
    dependsOn: ['service-account-token'],
  },
  'wrong-password-refused': {
    id: 'wrong-password-refused',
    expectation: 'a wrong password is refused (401)',
    dependsOn: ['service-account-token'],
  },
  'unsupported-revision-refused': {
    id: 'unsupported-revision-refused',
    expectation: 'a revision the server does not serve is refused (400)',
    dependsOn: ['service-account-token'],
  },
  'logout-revokes-token': {
    id: 'logout-revokes-token',
    expectation: 'logout answers 200, then the old token gets 401',
    dependsOn: ['service-account-token', 'token-opens-protected-endpoint'],
  },
};

export function isCheckId(value: string): value is CheckId {
  return (CHECK_IDS as readonly string[]).includes(value);
}
