import { readFileSync } from 'node:fs';

import { CHECKS, type CheckId } from './checks';
import { HarnessError } from './errors';
import type { CellOutcome, Matrix, MatrixCell, Plan, RevisionState } from './matrix';
import { compareApiVersions, isApiVersion } from './revisions';
import type { ServerBuild } from './server-probe';

export const BASELINE_KIND = 'veeam-auth-baseline';
export const BASELINE_FORMAT = 1;

export type BaselineCheck = {
  outcome: CellOutcome;
  status: number | null;
  errorCode: string | null;
};

export type BaselineRevision = {
  apiVersion: string;
  state: RevisionState;
  checks: Partial<Record<CheckId, BaselineCheck>>;
};

/**
 * A record of one run: what was asked, what the server answered, per
 * revision and check. It holds outcomes and statuses only: no credentials,
 * tokens or response bodies.
 */
export type Baseline = {
  kind: typeof BASELINE_KIND;
  format: typeof BASELINE_FORMAT;
  recordedAt: string;
  passed: boolean;
  collection: { name: string; version: string };
  target: string;
  server: ServerBuild;
  plan: Plan;
  revisions: BaselineRevision[];
};

export type ChangeSeverity = 'regression' | 'benign';

export type ChangeKind =
  | 'check-regressed'
  | 'check-recovered'
  | 'revision-served'
  | 'revision-dropped'
  | 'revision-not-run'
  | 'revision-not-in-baseline'
  | 'revision-not-compared'
  | 'collection-version'
  | 'server-build'
  | 'target';

export type Change = {
  kind: ChangeKind;
  severity: ChangeSeverity;
  apiVersion?: string;
  checkId?: CheckId;
  /** One line a person reads, e.g. "an MFA user now gets a token (200)". */
  summary: string;
};

export type Comparison = {
  baseline: Pick<Baseline, 'recordedAt' | 'collection' | 'target' | 'server'>;
  changes: Change[];
  hasRegression: boolean;
};

/** The baseline a matrix run records. */
export function toBaseline(matrix: Matrix, server: ServerBuild): Baseline {
  return {
    kind: BASELINE_KIND,
    format: BASELINE_FORMAT,
    recordedAt: matrix.startedAt,
    passed: matrix.passed,
    collection: matrix.collection,
    target: matrix.target,
    server,
    plan: matrix.plan,
    revisions: matrix.rows.map((row) => ({
      apiVersion: row.apiVersion,
      state: row.state,
      checks: Object.fromEntries(
        row.cells.map((cell) => [cell.id, { outcome: cell.outcome, status: cell.status, errorCode: cell.errorCode }]),
      ),
    })),
  };
}

/** Reads a baseline file, refusing anything `--save-baseline` did not write. */
export function readBaseline(file: string): Baseline {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new HarnessError(
      'ERR_REPORT_PATH',
      `baseline ${file}: ${code === 'ENOENT' ? 'no such file' : `cannot be read (${code ?? 'unknown error'})`}`,
      'record one first with --save-baseline <file>',
    );
  }

  const bad = (why: string) =>
    new HarnessError('ERR_REPORT_PATH', `baseline ${file} ${why}`, 'give a file written by --save-baseline, or record a new one');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw bad('is not valid JSON');
  }

  const b = json as Partial<Baseline> | null;
  if (!b || typeof b !== 'object' || b.kind !== BASELINE_KIND) throw bad('is not a veeam-auth baseline');
  if (b.format !== BASELINE_FORMAT) {
    throw bad(`has format ${JSON.stringify(b.format)}; this version reads format ${BASELINE_FORMAT}`);
  }
  if (!Array.isArray(b.revisions) || !b.collection || typeof b.target !== 'string' || !isPlan(b.plan)) {
    throw bad('is incomplete (revisions, collection, target or plan missing)');
  }
  for (const revision of b.revisions) {
    if (!revision || !isApiVersion(String(revision.apiVersion)) || typeof revision.checks !== 'object') {
      throw bad('has a revision entry without apiVersion or checks');
    }
  }
  return b as Baseline;
}

/**
 * What changed between a baseline and this run. A check that passed then
 * and does not now is a regression of a security expectation; revisions
 * newly served or dropped, a new collection version or server build are
 * benign drift, reported so a person can see them.
 */
export function compareWithBaseline(baseline: Baseline, matrix: Matrix, server: ServerBuild): Comparison {
  const changes: Change[] = [];
  const benign = (kind: ChangeKind, summary: string, apiVersion?: string) =>
    changes.push({ kind, severity: 'benign', summary, ...(apiVersion ? { apiVersion } : {}) });

  if (baseline.collection.version !== matrix.collection.version) {
    benign('collection-version', `collection version ${baseline.collection.version} -> ${matrix.collection.version}`);
  }
  if (baseline.target !== matrix.target) {
    benign('target', `the baseline was recorded against ${baseline.target}, this run is against ${matrix.target}`);
  }
  const before = baseline.server?.buildVersion ?? null;
  if (before !== server.buildVersion && before !== null && server.buildVersion !== null) {
    benign('server-build', `server build ${before} -> ${server.buildVersion}`);
  }

  const then = new Map(baseline.revisions.map((r) => [r.apiVersion, r]));
  const now = new Map(matrix.rows.map((r) => [r.apiVersion, r]));
  const apiVersions = [...new Set([...then.keys(), ...now.keys()])].sort(compareApiVersions);

  for (const apiVersion of apiVersions) {
    const old = then.get(apiVersion);
    const row = now.get(apiVersion);
    if (!row) {
      benign('revision-not-run', 'in the baseline, not run this time', apiVersion);
      continue;
    }
    if (!old) {
      benign('revision-not-in-baseline', `not in the baseline; ${row.state} now`, apiVersion);
      continue;
    }
    if (old.state === 'no-response' || row.state === 'no-response') {
      const when = row.state === 'no-response' ? 'this time' : 'in the baseline';
      benign('revision-not-compared', `not compared: no response ${when}`, apiVersion);
      continue;
    }
    if (old.state === 'refused' && row.state === 'served') {
      benign('revision-served', 'newly served', apiVersion);
      continue;
    }
    if (old.state === 'served' && row.state === 'refused') {
      benign('revision-dropped', 'no longer served (400)', apiVersion);
      continue;
    }
    if (row.state !== 'served') continue;

    for (const cell of row.cells) {
      const was = old.checks[cell.id];
      if (!was || !isDecided(was.outcome) || !isDecided(cell.outcome)) continue;
      const about = { apiVersion, checkId: cell.id };
      if (was.outcome === 'passed' && !cell.passed) {
        changes.push({ kind: 'check-regressed', severity: 'regression', ...about, summary: regressionSummary(cell) });
      } else if (was.outcome !== 'passed' && cell.passed) {
        changes.push({ kind: 'check-recovered', severity: 'benign', ...about, summary: `${cell.id} passes again (was ${was.outcome})` });
      }
    }
  }

  return {
    baseline: {
      recordedAt: baseline.recordedAt,
      collection: baseline.collection,
      target: baseline.target,
      server: baseline.server,
    },
    changes,
    hasRegression: changes.some((c) => c.severity === 'regression'),
  };
}

function isDecided(outcome: CellOutcome): boolean {
  return outcome !== 'skipped' && outcome !== 'refused' && outcome !== 'not-run';
}

function regressionSummary(cell: MatrixCell): string {
  const seen = [cell.status ?? 'no response', cell.errorCode].filter(Boolean).join(' ');
  const isSuccess = cell.status !== null && cell.status >= 200 && cell.status < 300;

  if (cell.outcome === 'not-counted') {
    return `${cell.id} is no longer counted: ${cell.reason.replace(/^not counted: /, '')}`;
  }
  switch (cell.id) {
    case 'mfa-user-refused':
      return isSuccess ? `an MFA user now gets a token (${seen})` : `the MFA user's token request now gets ${seen}, not 401`;
    case 'service-account-token':
      return `the service account is now refused (${seen})`;
    case 'wrong-password-refused':
      return isSuccess ? `a wrong password now gets a token (${seen})` : `a wrong password now gets ${seen}, not 401`;
    default:
      return `${cell.id} now fails (${seen}): ${CHECKS[cell.id].expectation} no longer holds`;
  }
}

function isPlan(value: unknown): value is Plan {
  const plan = value as Plan | undefined;
  if (!plan || typeof plan !== 'object') return false;
  if (plan.kind === 'single') return true;
  if (plan.kind === 'revisions') return Array.isArray(plan.apiVersions) && plan.apiVersions.every((v) => isApiVersion(String(v)));
  if (plan.kind === 'discover') return Array.isArray(plan.candidates) && plan.candidates.every((v) => isApiVersion(String(v)));
  return false;
}

