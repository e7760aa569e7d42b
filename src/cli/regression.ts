import { compareWithBaseline, readBaseline, toBaseline, type Baseline, type Comparison } from '../baseline';
import type { CollectionFile } from '../config/collection';
import type { Credentials } from '../config/credentials';
import { EXIT, HarnessError } from '../errors';
import { runMatrix, type Matrix, type Plan } from '../matrix';
import { overallOf } from '../overall';
import { Progress } from '../progress';
import type { Redactor } from '../redact';
import { renderHtml } from '../reports/html';
import { renderJunit } from '../reports/junit';
import { assertDistinct, resolveReportPath, writeReport } from '../reports/write-report';
import { knownReleases, REVISIONS, revisionOfRelease } from '../revisions';
import type { RunChecksOptions, Verdict } from '../run-checks';
import { isTlsFault } from '../runner/transport';
import { readServerBuild, type ServerBuild } from '../server-probe';
import { formatComparison, formatMatrix, formatOverall } from './format-matrix';

export type RegressionFlags = {
  revisions?: string[];
  discover?: boolean;
  saveBaseline?: string;
  compare?: string;
  junit?: string;
  html?: string;
};

/** Files checked before the run, so a bad path costs no requests. */
export type PreparedRegression = {
  plan: Plan | null;
  json?: string;
  junit?: string;
  html?: string;
  saveBaseline?: string;
  compare?: { file: string; baseline: Baseline };
};

export type RegressionContext = {
  collection: CollectionFile;
  environment: RunChecksOptions['environment'];
  credentials: Credentials;
  caFile?: string;
  isInsecure?: boolean;
  timeoutRequestMs: number;
  timeoutRunMs: number;
  redactor: Redactor;
  /** A stable name of the server: its base URL, or `simulator`. */
  target: string;
  isTty: boolean;
  out: (text: string) => void;
  /** Raw stderr for the progress line, whose \r and erase sequence are its own. */
  progressWrite?: (text: string) => void;
  err: (text: string) => void;
  /** The verdict as `--json` writes it. */
  publicVerdict: (verdict: Verdict) => unknown;
  /** A plain run's output and exit code, which a single plan keeps. */
  describeVerdict: (verdict: Verdict) => string;
  exitCodeOfVerdict: (verdict: Verdict) => number;
};

/** True when a flag asks for more than the plain single run. */
export function isRegressionRun(flags: RegressionFlags): boolean {
  return Boolean(flags.revisions || flags.discover || flags.saveBaseline || flags.compare || flags.junit || flags.html);
}

/**
 * Checks every report path and reads the baseline before anything runs.
 * `inputs` are the files the run reads, which no report may replace.
 */
export function prepareRegression(
  flags: RegressionFlags & { json?: string },
  cwd: string,
  inputs: { flag: string; file: string | undefined }[],
): PreparedRegression {
  const requests = (
    [
      ['--json', flags.json],
      ['--junit', flags.junit],
      ['--html', flags.html],
      ['--save-baseline', flags.saveBaseline],
    ] as const
  )
    .filter((entry): entry is [typeof entry[0], string] => typeof entry[1] === 'string')
    .map(([flag, file]) => ({ flag, file, resolved: resolveReportPath(cwd, { flag, file }) }));

  const compareFile = flags.compare ? resolveReportPath(cwd, { flag: '--compare', file: flags.compare }) : undefined;
  const readOnly = inputs
    .filter((i): i is { flag: string; file: string } => Boolean(i.file))
    .map((i) => ({ flag: i.flag, resolved: i.file }));
  // A baseline may be compared with, then replaced by, the same run.
  const savesOverCompared = requests.some((r) => r.flag === '--save-baseline' && r.resolved === compareFile);
  if (compareFile && !savesOverCompared) readOnly.push({ flag: '--compare', resolved: compareFile });
  assertDistinct(requests, readOnly);

  const byFlag = (flag: string) => requests.find((r) => r.flag === flag)?.resolved;
  const compare = compareFile ? { file: compareFile, baseline: readBaseline(compareFile) } : undefined;

  let plan: Plan | null = null;
  if (flags.discover) {
    plan = { kind: 'discover', candidates: flags.revisions ?? REVISIONS.map((r) => r.apiVersion) };
  } else if (flags.revisions) {
    plan = { kind: 'revisions', apiVersions: flags.revisions };
  } else if (compare) {
    // "Run again": what the baseline ran, unless the flags say otherwise.
    plan = compare.baseline.plan;
  }

  return {
    plan,
    json: byFlag('--json'),
    junit: byFlag('--junit'),
    html: byFlag('--html'),
    saveBaseline: byFlag('--save-baseline'),
    compare,
  };
}

/**
 * Runs the plan, prints the matrix and what changed since the baseline,
 * writes the reports asked for and returns the exit code.
 */
export async function runRegression(prepared: PreparedRegression, context: RegressionContext): Promise<number> {
  const plan: Plan = prepared.plan ?? { kind: 'single' };
  const perRevision = countRequests(context.collection.json);
  const revisionCount = plan.kind === 'single' ? 1 : plan.kind === 'revisions' ? plan.apiVersions.length : plan.candidates.length;
  const progress = new Progress({ write: context.progressWrite ?? context.err, isTty: context.isTty, plannedRequests: perRevision * revisionCount });

  const verb = plan.kind === 'discover' ? 'probing' : 'running';
  progress.update(`veeam-auth: ${verb} ${revisionCount} revisions`);
  let matrix: Matrix;
  try {
    matrix = await runMatrix({
      collection: context.collection,
      environment: context.environment,
      credentials: context.credentials,
      caFile: context.caFile,
      isInsecure: context.isInsecure,
      timeoutRequestMs: context.timeoutRequestMs,
      timeoutRunMs: context.timeoutRunMs,
      redactor: context.redactor,
      target: context.target,
      plan,
      onRevisionDone: (row, done, total) =>
        progress.update(`veeam-auth: ${done}/${total} revisions done (${row.apiVersion} ${row.state})`),
    });
  } finally {
    progress.end();
  }

  const needsBuild = Boolean(prepared.saveBaseline || prepared.compare);
  const server = needsBuild ? await serverBuildOf(matrix, context) : undefined;
  const comparison: Comparison | undefined = prepared.compare
    ? compareWithBaseline(prepared.compare.baseline, matrix, server as ServerBuild)
    : undefined;
  const overall = overallOf(matrix, comparison);

  const single = plan.kind === 'single' ? matrix.rows[0] : undefined;
  context.out(single ? context.describeVerdict(single.verdict) : formatMatrix(matrix));
  if (comparison && prepared.compare) context.out(`\n${formatComparison(comparison, prepared.compare.file)}`);
  if (plan.kind !== 'single' || comparison) context.out(`\n${formatOverall(overall)}`);

  const { redactor } = context;
  if (prepared.junit) writeReport(prepared.junit, renderJunit([matrix]), redactor);
  if (prepared.html) writeReport(prepared.html, renderHtml({ matrix, overall, server, comparison }), redactor);
  if (prepared.json) writeReport(prepared.json, `${JSON.stringify(jsonOf(matrix, context.publicVerdict), null, 2)}\n`, redactor);
  if (prepared.saveBaseline) {
    if (matrix.transport) {
      // Keep the last good baseline rather than record a server that did not answer.
      context.err(`warning: baseline not saved: ${matrix.transport.summary}; ${prepared.saveBaseline} is unchanged\n`);
    } else {
      writeReport(prepared.saveBaseline, `${JSON.stringify(toBaseline(matrix, server as ServerBuild), null, 2)}\n`, redactor);
    }
  }

  if (single) {
    const own = context.exitCodeOfVerdict(single.verdict);
    return own !== EXIT.ok || overall.status === 'pass' ? own : EXIT.checkFailed;
  }

  for (const line of notesOf(matrix)) context.err(line);
  if (matrix.transport) {
    context.err(`error: ${matrix.transport.summary} (${matrix.transport.code})\n  hint: ${matrix.transport.hint}\n`);
    return isTlsFault(matrix.transport.kind) ? EXIT.tlsUntrusted : EXIT.unreachable;
  }
  return overall.status === 'pass' ? EXIT.ok : EXIT.checkFailed;
}

/** What a plain run says on stderr besides errors, once per revision. */
function notesOf(matrix: Matrix): string[] {
  return matrix.rows.flatMap((row) => [
    ...(row.verdict.retries ?? []).map(
      (r) => `note: ${row.apiVersion}: retried ${r.method} ${r.path} on ${r.host} once after a connection reset (${r.code})\n`,
    ),
    ...(row.verdict.serverFault
      ? [`error: ${row.apiVersion}: ${row.verdict.serverFault.summary}\n  hint: ${row.verdict.serverFault.hint}\n`]
      : []),
  ]);
}

async function serverBuildOf(matrix: Matrix, context: RegressionContext): Promise<ServerBuild> {
  const served = matrix.rows.filter((r) => r.state === 'served');
  const newest = served[served.length - 1];
  if (!newest) return { buildVersion: null, note: 'unknown: the server served no revision asked for' };

  return readServerBuild({
    baseUrl: context.environment.baseUrl,
    apiVersion: newest.apiVersion,
    credentials: context.credentials,
    redactor: context.redactor,
    caFile: context.caFile,
    isInsecure: context.isInsecure,
    timeoutRequestMs: context.timeoutRequestMs,
  });
}

/** `--json` of a single run is the verdict as before; of a matrix, one per revision. */
function jsonOf(matrix: Matrix, publicVerdict: (verdict: Verdict) => unknown): unknown {
  if (matrix.plan.kind === 'single' && matrix.rows[0]) return publicVerdict(matrix.rows[0].verdict);
  return {
    passed: matrix.passed,
    collection: matrix.collection,
    target: matrix.target,
    problems: matrix.problems,
    revisions: matrix.rows.map((row) => ({
      apiVersion: row.apiVersion,
      state: row.state,
      passed: row.passed,
      verdict: publicVerdict(row.verdict),
    })),
  };
}

function countRequests(node: unknown): number {
  const items = (node as { item?: unknown[] } | null)?.item;
  if (!Array.isArray(items)) return 1;
  return items.reduce<number>((sum, item) => sum + countRequests(item), 0);
}

/** Refuses flags that make no sense together, before anything runs. */
export function assertRegressionFlags(flags: RegressionFlags & { env?: string; serverRelease?: string }): void {
  if (flags.env && flags.serverRelease) {
    throw new HarnessError(
      'ERR_USAGE',
      '--server-release applies to the built-in simulator, not to a server given with --env',
      'drop --server-release, or drop --env to use the simulator',
    );
  }
}

/** Parses `--server-release` into the newest revision of that release. */
export function toReleaseRevision(value: string): string {
  const revision = revisionOfRelease(value.trim());
  if (!revision) {
    throw new HarnessError(
      'ERR_USAGE',
      `--server-release ${JSON.stringify(value)} is no VBR release the revisions table knows`,
      `give one of ${knownReleases().join(', ')}, a full build such as 12.3.1.1139, or latest`,
    );
  }
  return revision.apiVersion;
}
