import { readFileSync, statSync } from 'node:fs';

import {
  isListedUser,
  SETTINGS_PATH,
  USERS_API_SINCE,
  USERS_PATH,
  type ListedUser,
} from './attribution';
import type { Credentials } from './config/credentials';
import { HarnessError } from './errors';
import { compareApiVersions, isApiVersion } from './revisions';
import { namesMatch } from './user-names';
import { VbrClient, type VbrClientOptions } from './vbr-client';

/**
 * The audit: which accounts bypass MFA on a server, and whether each one is
 * expected. Service accounts bypass MFA by design (Veeam: the flag
 * "disables two-factor authentication"); the allowlist says which of them
 * an operator knows about.
 */

export type AuditOptions = VbrClientOptions & {
  credentials: Pick<Credentials, 'serviceAccountUsername' | 'serviceAccountPassword'>;
  /** Names expected to be service accounts; without one, nothing is flagged. */
  allowlist?: readonly string[];
};

export type AuditedAccount = {
  name: string;
  type: string;
  roles: string[];
  isExpected: boolean;
};

/**
 * - `clean`: every service account is on the allowlist (or none was given)
 * - `unexpected`: a service account is not on it, or MFA is off server-wide
 * - `unavailable`: the server did not let the audit read its users
 */
export type AuditState = 'clean' | 'unexpected' | 'unavailable';

export type AuditResult = {
  target: string;
  apiVersion: string;
  state: AuditState;
  /** MFA switched on server-wide; null when the settings could not be read. */
  isMfaEnabled: boolean | null;
  hasAllowlist: boolean;
  serviceAccounts: AuditedAccount[];
  unexpected: AuditedAccount[];
  /** Why the audit is `unexpected` or `unavailable`; empty when clean. */
  reasons: string[];
  /** What to do when the audit is `unavailable`; empty otherwise. */
  hint: string;
};

const PAGE = 200;
const MAX_PAGES = 100;

/**
 * Logs in as the service account, reads every service account from
 * GET /api/v1/security/users (1.3-rev1+, Backup Administrator), reads the
 * server-wide MFA setting, and logs out. Never prints; names in the result
 * are the server's, passwords never appear.
 */
export async function runAudit(options: AuditOptions): Promise<AuditResult> {
  const result: AuditResult = {
    target: options.baseUrl,
    apiVersion: options.apiVersion,
    state: 'unavailable',
    isMfaEnabled: null,
    hasAllowlist: options.allowlist !== undefined,
    serviceAccounts: [],
    unexpected: [],
    reasons: [],
    hint: '',
  };

  const { apiVersion } = options;
  if (isApiVersion(apiVersion) && compareApiVersions(apiVersion, USERS_API_SINCE) < 0) {
    result.reasons.push(
      `x-api-version ${apiVersion} predates the users API: the audit needs ${USERS_API_SINCE} (VBR 13.0.1) or later`,
    );
    result.hint = `set apiVersion in the environment to ${USERS_API_SINCE} or later, if the server serves it`;
    return result;
  }

  const client = new VbrClient(options);
  const { serviceAccountUsername, serviceAccountPassword } = options.credentials;
  const token = await client.passwordGrant(serviceAccountUsername, serviceAccountPassword);
  if (!token.accessToken) {
    result.reasons.push(`the service account was refused a token (${token.status}), so the audit cannot read the users list`);
    result.hint = 'check VBR_SERVICE_ACCOUNT_USERNAME and VBR_SERVICE_ACCOUNT_PASSWORD, and that the account is flagged as a service account';
    return result;
  }

  try {
    const listed = await readServiceAccounts(client, token.accessToken);
    if (typeof listed === 'string') {
      result.reasons.push(listed);
      result.hint = listed.includes('(403)')
        ? 'give the service account the Backup Administrator role, or audit with an account that has it'
        : 'run again with NODE_DEBUG=veeam-auth:* to see each request and its status';
      return result;
    }

    const settings = await client.get(SETTINGS_PATH, token.accessToken);
    result.isMfaEnabled = mfaSettingOf(settings);
    result.serviceAccounts = listed.map((user) => ({
      name: user.name,
      type: typeof user.type === 'string' ? user.type : 'unknown',
      roles: (user.roles ?? []).map((r) => String(r?.name ?? '')).filter(Boolean),
      isExpected: isAllowed(options.allowlist, user.name),
    }));
    result.unexpected = result.serviceAccounts.filter((a) => !a.isExpected);

    for (const account of result.unexpected) {
      result.reasons.push(`${account.name} is a service account, so it bypasses MFA, but is not on the allowlist`);
    }
    if (result.isMfaEnabled === false) {
      result.reasons.push('MFA is off server-wide (GET /api/v1/security/settings): every account bypasses it');
    }
    result.state = result.reasons.length > 0 ? 'unexpected' : 'clean';
    return result;
  } finally {
    // Leaves no live token behind, whatever happened above.
    await client.logout(token.accessToken).catch(() => undefined);
  }
}

function isAllowed(allowlist: readonly string[] | undefined, name: string): boolean {
  return allowlist === undefined || allowlist.some((entry) => namesMatch(entry, name));
}

async function readServiceAccounts(
  client: VbrClient,
  accessToken: string,
): Promise<ListedUser[] | string> {
  const accounts: ListedUser[] = [];
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const response = await client.get(
      `${USERS_PATH}?isServiceAccountFilter=true&skip=${page * PAGE}&limit=${PAGE}`,
      accessToken,
    );
    if (response.status === 403) {
      return 'the service account may not read the users list (403): the users API is for Backup Administrator only';
    }
    if (response.status !== 200) return `the users list answered ${response.status}`;

    let json: { data?: unknown; pagination?: { total?: unknown } };
    try {
      json = JSON.parse(response.body) as typeof json;
    } catch {
      return 'the users list is not JSON';
    }
    if (!Array.isArray(json?.data)) return 'the users list is not a UsersResult (no data array)';

    const data = json.data.filter(isListedUser);
    // The filter is the server's; the flag on each entry is what counts.
    accounts.push(...data.filter((u) => u.isServiceAccount === true));

    const total = typeof json.pagination?.total === 'number' ? json.pagination.total : 0;
    if (json.data.length < PAGE || (page + 1) * PAGE >= total) return accounts;
  }
  return accounts;
}

function mfaSettingOf(response: { status: number; body: string }): boolean | null {
  if (response.status !== 200) return null;
  try {
    const json = JSON.parse(response.body) as { mfaEnabled?: unknown };
    return typeof json?.mfaEnabled === 'boolean' ? json.mfaEnabled : null;
  } catch {
    return null;
  }
}

/**
 * Reads an allowlist: one account name per line; `#` starts a comment at
 * the beginning of a line or after a space; blank lines are skipped.
 */
export function parseAllowlist(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.replace(/(^|\s)#.*$/, '').trim())
    .filter((line) => line.length > 0);
}

export function loadAllowlist(file: string): string[] {
  try {
    if (!statSync(file).isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
    return parseAllowlist(readFileSync(file, 'utf8'));
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new HarnessError(
      'ERR_ENV_FILE',
      `allowlist ${file}: ${code === 'ENOENT' ? 'no such file' : `cannot be read (${code ?? 'unknown error'})`}`,
      'give a text file with one account name per line (# starts a comment)',
    );
  }
}
