import { USERS_API_SINCE } from '../attribution';
import { compareApiVersions, isApiVersion } from '../revisions';
import { stableId } from '../stable-id';
import type { Account, Role } from './model';

/** UserModel's `mfaEnabled` is in the spec, and required, from this revision. */
export const USER_MFA_FIELD_SINCE = '1.3-rev2';

/** The domain part the simulator lists its local accounts under. */
export const SIMULATOR_DOMAIN = 'VBRSIM';

export function hasUsersApi(apiVersion: string): boolean {
  return isApiVersion(apiVersion) && compareApiVersions(apiVersion, USERS_API_SINCE) >= 0;
}

const ROLE_DESCRIPTIONS: Record<Role, string> = {
  'Backup Administrator': 'Built-in role with full privileges',
  'Security Administrator': 'Built-in role for credentials management and four-eyes approvals',
  'Backup Operator': 'Built-in role for starting and stopping existing jobs',
  'Restore Operator': 'Built-in role for restores from any backups and replicas',
  'Backup Viewer': 'Built-in role with read-only access',
};

/**
 * GET /api/v1/security/users as a `UsersResult` of the given revision: in
 * 1.3-rev1 role names carry a "Veeam " prefix and UserModel has no
 * `mfaEnabled`; from 1.3-rev2 the prefix is gone and `mfaEnabled` is
 * required (Veeam's OpenAPI specs of those revisions). Supports `skip`,
 * `limit` (default 200) and `isServiceAccountFilter`.
 */
export function usersResult(
  accounts: readonly Account[],
  apiVersion: string,
  query: URLSearchParams,
): object {
  const hasMfaField = compareApiVersions(apiVersion, USER_MFA_FIELD_SINCE) >= 0;
  const rolePrefix = hasMfaField ? '' : 'Veeam ';

  const users = accounts.map((account) => ({
    type: 'InternalUser',
    id: stableId(`user:${account.username.toLowerCase()}`),
    name: `${SIMULATOR_DOMAIN}\\${account.username}`,
    roles: [
      {
        id: stableId(`role:${account.role}`),
        name: `${rolePrefix}${account.role}`,
        description: ROLE_DESCRIPTIONS[account.role],
      },
    ],
    isServiceAccount: account.isServiceAccount,
    ...(hasMfaField ? { mfaEnabled: account.mfaEnabled && !account.isServiceAccount } : {}),
  }));

  // A real server also lists the local Administrators group.
  const all = [
    {
      type: 'InternalGroup',
      id: stableId('group:administrators'),
      name: 'BUILTIN\\Administrators',
      roles: [
        {
          id: stableId('role:Backup Administrator'),
          name: `${rolePrefix}Backup Administrator`,
          description: ROLE_DESCRIPTIONS['Backup Administrator'],
        },
      ],
      isServiceAccount: false,
      ...(hasMfaField ? { mfaEnabled: false } : {}),
    },
    ...users,
  ];

  const filter = query.get('isServiceAccountFilter');
  const filtered =
    filter === null ? all : all.filter((u) => u.isServiceAccount === (filter === 'true'));
  const skip = toCount(query.get('skip'), 0);
  const limit = toCount(query.get('limit'), 200) || 200;
  const page = filtered.slice(skip, skip + limit);

  return {
    data: page,
    pagination: { total: filtered.length, count: page.length, skip, limit },
  };
}

function toCount(value: string | null, fallback: number): number {
  const n = Number(value);
  return value !== null && Number.isInteger(n) && n >= 0 ? n : fallback;
}
