import { compareApiVersions, isApiVersion } from './revisions';
import type { Execution } from './runner/newman-run';
import type { CheckVerdict } from './runner/verdict';
import { findByName } from './user-names';

/**
 * Why the MFA user's 401 happened, as far as one run can tell.
 *
 * - `mfa`: the users list shows the MFA user with MFA on and no
 *   service-account flag, and the service account flagged as one.
 * - `not-mfa`: the users list contradicts the run (the "MFA user" has MFA
 *   off or is a service account), so the 401 has another cause.
 * - `unknown`: the run could not tell, and `summary` says why.
 */
export type MfaCause = 'mfa' | 'not-mfa' | 'unknown';

export type MfaAttribution = {
  cause: MfaCause;
  summary: string;
};

/** The users API appears in 1.3-rev1 (VBR 13.0.1). */
export const USERS_API_SINCE = '1.3-rev1';

export const USERS_PATH = '/api/v1/security/users';
export const SETTINGS_PATH = '/api/v1/security/settings';

/** One entry of `UsersResult.data` as the harness reads it. */
export type ListedUser = {
  name: string;
  type?: string;
  isServiceAccount?: unknown;
  mfaEnabled?: unknown;
  roles?: { name?: unknown }[];
};

export type AttributionInput = {
  executions: readonly Execution[];
  apiVersion: string;
  serviceAccountUsername: string;
  mfaUsername: string;
};

const unknown = (summary: string): MfaAttribution => ({
  cause: 'unknown',
  summary: `could not tell why: ${summary}`,
});

/**
 * Reads, from the run's own GET /api/v1/security/users and
 * /api/v1/security/settings (sent with the service account's token before
 * logout), why the MFA user was refused. Never names an account: the
 * names are secrets of the run.
 */
export function attributeMfaRefusal(input: AttributionInput): MfaAttribution {
  const { apiVersion } = input;
  if (isApiVersion(apiVersion) && compareApiVersions(apiVersion, USERS_API_SINCE) < 0) {
    return unknown(`x-api-version ${apiVersion} predates the users API (${USERS_API_SINCE}, VBR 13.0.1)`);
  }

  const users = lastGet(input.executions, USERS_PATH);
  if (!users) {
    return unknown(`GET ${USERS_PATH} was not sent: the service account got no token, or the collection lacks that request`);
  }
  const problem = statusProblem(users, 'users list');
  if (problem) return unknown(problem);

  const list = parseUsers(users.responseBody);
  if (!list) return unknown('the users list is not a UsersResult (no data array)');

  const mfaMatch = findByName(list.data, input.mfaUsername);
  if (mfaMatch.kind !== 'one') return unknown(notFound('the MFA user', mfaMatch, list));
  const serviceMatch = findByName(list.data, input.serviceAccountUsername);
  if (serviceMatch.kind !== 'one') {
    return unknown(notFound('the service account', serviceMatch, list));
  }
  const mfaUser = mfaMatch.entry;
  const service = serviceMatch.entry;

  if (mfaUser.isServiceAccount === true) {
    return {
      cause: 'not-mfa',
      summary:
        'the users list flags the MFA user as a service account, which bypasses MFA, ' +
        'so the 401 has another cause (a wrong password?)',
    };
  }

  const mfa = mfaStateOf(mfaUser, input.executions);
  if (mfa.isOn === false) {
    return {
      cause: 'not-mfa',
      summary: `${mfa.evidence} shows MFA off, so the 401 has another cause (a wrong password?)`,
    };
  }
  if (mfa.isOn === null) return unknown(mfa.evidence);

  if (service.isServiceAccount !== true) {
    return unknown(
      'the MFA user has MFA on, but the service account is not flagged isServiceAccount, ' +
        'so the run does not show that the flag is what lets an account through',
    );
  }

  return {
    cause: 'mfa',
    summary:
      `refused because of MFA: ${mfa.evidence} shows MFA on for the MFA user, who is no service account, ` +
      'and the users list flags the service account isServiceAccount',
  };
}

/**
 * Adds the attribution to the mfa-user-refused verdict when the MFA user
 * got a 401. A contradiction voids the check: its 401 proves nothing about
 * MFA.
 */
export function explainMfaRefusal(
  checks: readonly CheckVerdict[],
  input: AttributionInput,
): CheckVerdict[] {
  return checks.map((check) => {
    if (check.id !== 'mfa-user-refused' || check.status !== 401) return check;

    const attribution = attributeMfaRefusal(input);
    if (attribution.cause === 'not-mfa' && check.passed) {
      return {
        ...check,
        passed: false,
        outcome: 'not-counted',
        reason: `not counted: ${attribution.summary}`,
        attribution,
      };
    }
    return { ...check, attribution };
  });
}

function lastGet(executions: readonly Execution[], pathname: string): Execution | undefined {
  return [...executions]
    .reverse()
    .find((e) => e.method.toUpperCase() === 'GET' && pathOf(e.url) === pathname);
}

function statusProblem(run: Execution, what: string): string | null {
  if (run.requestError) return `the ${what} got no response`;
  if (run.status === 200) return null;
  if (run.status === 403) {
    return `the service account may not read the ${what} (403): it needs the Backup Administrator role`;
  }
  if (run.status === 401) {
    return `the ${what} refused the service account's token (401); read it before logout`;
  }
  return `the ${what} answered ${run.status}`;
}

type UsersList = { data: ListedUser[]; total: number | null };

function parseUsers(body: string): UsersList | null {
  try {
    const json = JSON.parse(body) as { data?: unknown; pagination?: { total?: unknown } };
    if (!Array.isArray(json?.data)) return null;
    const data = json.data.filter(isListedUser);
    const total = typeof json.pagination?.total === 'number' ? json.pagination.total : null;
    return { data, total };
  } catch {
    return null;
  }
}

function notFound(
  who: string,
  match: { kind: 'none' } | { kind: 'many'; count: number },
  list: UsersList,
): string {
  if (match.kind === 'many') return `${match.count} entries of the users list match ${who}'s name`;
  const partial =
    list.total !== null && list.total > list.data.length
      ? ` (it holds ${list.data.length} of ${list.total} entries)`
      : '';
  return `${who} is not in the users list${partial}; an account that gets its role through a group is listed as the group`;
}

/**
 * From 1.3-rev2 each UserModel says `mfaEnabled`; 1.3-rev1 has no such
 * field, so the server-wide setting stands in for it. `evidence` names
 * what was read, or says why nothing could be.
 */
function mfaStateOf(
  user: ListedUser,
  executions: readonly Execution[],
): { isOn: boolean | null; evidence: string } {
  if (typeof user.mfaEnabled === 'boolean') {
    return { isOn: user.mfaEnabled, evidence: "the users list's mfaEnabled" };
  }

  const noField = 'the users list has no per-user mfaEnabled (as in 1.3-rev1)';
  const settings = lastGet(executions, SETTINGS_PATH);
  if (!settings) {
    return { isOn: null, evidence: `${noField}, and the run did not read GET ${SETTINGS_PATH}` };
  }
  const problem = statusProblem(settings, 'MFA settings');
  if (problem) return { isOn: null, evidence: `${noField}, and ${problem}` };

  try {
    const json = JSON.parse(settings.responseBody) as { mfaEnabled?: unknown };
    if (typeof json?.mfaEnabled === 'boolean') {
      return {
        isOn: json.mfaEnabled,
        evidence: 'the server-wide MFA setting (this revision lists no per-user mfaEnabled)',
      };
    }
  } catch {
    // Falls through to "cannot tell".
  }
  return { isOn: null, evidence: `${noField}, and the MFA settings hold no mfaEnabled` };
}

/** An entry of `UsersResult.data` with at least a name. */
export function isListedUser(value: unknown): value is ListedUser {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ListedUser).name === 'string'
  );
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return '';
  }
}
