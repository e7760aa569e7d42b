import { checkIdOf } from './check-mapping';
import type { CheckId } from './checks';
import type { CollectionFile } from './config/collection';
import { HarnessError } from './errors';
import { debugLog } from './log';
import { compareApiVersions, isApiVersion, REVISIONS } from './revisions';
import {
  DEFAULT_TIMEOUT_RUN_MS,
  runChecks,
  runChecksInSlices,
  type RunChecksOptions,
  type RunSlice,
  type Verdict,
} from './run-checks';
import type { Execution } from './runner/newman-run';
import type { CheckOutcome } from './runner/verdict';
import type { TransportFault } from './runner/transport';
import { logOut, probeRevisions, type ProbeResult } from './server-probe';

const debug = debugLog('veeam-auth:matrix');

/**
 * What to run: the environment's one revision (`single`), a list of
 * revisions, or the revisions a swagger probe finds among `candidates`.
 */
export type Plan =
  | { kind: 'single' }
  | { kind: 'revisions'; apiVersions: string[] }
  | { kind: 'discover'; candidates: string[] };

/**
 * `served`: the server took the revision; `refused`: it answered both token
 * requests with the REST API's refusal of a revision (see `stateOf`).
 */
export type RevisionState = 'served' | 'refused' | 'no-response';

/** A check's outcome in one revision's run, with two outcomes of the matrix's own. */
export type CellOutcome = CheckOutcome | 'skipped' | 'refused';

export type MatrixCell = {
  id: CheckId;
  expectation: string;
  outcome: CellOutcome;
  passed: boolean;
  status: number | null;
  errorCode: string | null;
  reason: string;
};

export type MatrixRow = {
  apiVersion: string;
  state: RevisionState;
  /** False only for a failure: a refused revision in a matrix is no failure. */
  passed: boolean;
  cells: MatrixCell[];
  verdict: Verdict;
  startedAt: string;
  durationMs: number;
};

export type Matrix = {
  passed: boolean;
  collection: { name: string; version: string };
  /** A stable name of the server: its base URL, or `simulator`. */
  target: string;
  baseUrl: string;
  plan: Plan;
  rows: MatrixRow[];
  /** What the swagger probe answered, when the plan asked for one. */
  discovery: ProbeResult[] | null;
  transport: TransportFault | null;
  /** Why the matrix fails beyond its rows, e.g. that nothing was served. */
  problems: string[];
  startedAt: string;
  durationMs: number;
};

export type MatrixOptions = Omit<RunChecksOptions, 'environment'> & {
  environment: RunChecksOptions['environment'];
  target: string;
  plan: Plan;
  /** newman runs under way at once, each holding a share of the revisions. */
  concurrency?: number;
  /** Called as each revision's verdict is in, in the order they come. */
  onRevisionDone?: (row: MatrixRow, done: number, total: number) => void;
};

/**
 * Checks that prove nothing new per revision, run in one revision's run
 * only. The wrong-password check sends a bad password each time, and VBR
 * servers are subject to the domain's lockout policy: a matrix must not
 * send one per revision. The unserved-revision check sends a fixed
 * revision whatever the one under test. Logout revokes a token in the
 * server's token store, not in a revision's contract; it is two requests
 * of every seven, so running it once keeps a matrix within twice the time
 * of one run. The other revisions' tokens are logged out all the same.
 */
export const ONCE_PER_MATRIX: readonly CheckId[] = [
  'wrong-password-refused',
  'unsupported-revision-refused',
  'logout-revokes-token',
];

/**
 * Two runs at once overlap the waits on the server; each one more adds a
 * run's fixed cost (about 60 ms of CPU) and, measured on loopback, gains
 * no time.
 */
export const DEFAULT_MATRIX_CONCURRENCY = 2;

/** Parses `all` or a comma list of revisions, oldest first, without repeats. */
export function parseRevisionList(value: string): string[] {
  if (value.trim() === 'all') return REVISIONS.map((r) => r.apiVersion);

  const items = value.split(',').map((item) => item.trim()).filter(Boolean);
  if (items.length === 0) {
    throw new HarnessError(
      'ERR_USAGE',
      '--revisions needs "all" or a comma list of revisions',
      'for example --revisions 1.2-rev1,1.3-rev2',
    );
  }
  for (const item of items) {
    if (!isApiVersion(item)) {
      throw new HarnessError(
        'ERR_USAGE',
        `--revisions: ${JSON.stringify(item)} is not of the form <major>.<minor>-rev<N>`,
        'write revisions as Veeam does, without a leading v: for example 1.3-rev2',
      );
    }
  }
  return [...new Set(items)].sort(compareApiVersions);
}

/**
 * Runs the collection once per revision of the plan against one server and
 * judges each revision on its own. Never prints; progress goes to
 * `onRevisionDone`.
 */
export async function runMatrix(options: MatrixOptions): Promise<Matrix> {
  const started = Date.now();
  const { plan } = options;

  let discovery: ProbeResult[] | null = null;
  let apiVersions: string[];
  if (plan.kind === 'discover') {
    discovery = await probeRevisions({
      baseUrl: options.environment.baseUrl,
      apiVersions: plan.candidates,
      caFile: options.caFile,
      isInsecure: options.isInsecure,
      timeoutRequestMs: options.timeoutRequestMs,
    });
    apiVersions = discovery.filter((p) => p.isServed).map((p) => p.apiVersion);
  } else if (plan.kind === 'revisions') {
    apiVersions = plan.apiVersions;
  } else {
    apiVersions = [options.environment.apiVersion];
  }

  let done = 0;
  const report = (rows: MatrixRow[]) => {
    for (const row of rows) {
      done += 1;
      options.onRevisionDone?.(row, done, apiVersions.length);
    }
    return rows;
  };

  if (plan.kind === 'single') {
    const rows = report([await runSingle(options, apiVersions[0])]);
    return matrixOf(options, rows, discovery, [], started);
  }

  const anchor = anchorOf(apiVersions, options.environment.apiVersion);
  const probes = plan.kind === 'revisions' ? await probeHints(options, apiVersions) : hintsOf(discovery ?? []);
  const unserved = new Set([...probes].filter(([, status]) => status === 404).map(([apiVersion]) => apiVersion));
  const blockOf = (apiVersion: string): Block => ({
    apiVersion,
    kind: unserved.has(apiVersion) ? 'refusal' : apiVersion === anchor ? 'full' : 'per-revision',
  });
  const blocks = apiVersions.map(blockOf);
  const weight = (block: Block) => requestCount(options.collection, block.kind);
  const groups = balancedGroups(blocks, weight, options.concurrency ?? DEFAULT_MATRIX_CONCURRENCY);
  const rows = (await Promise.all(groups.map(async (group) => report(await runGroup(options, group, probes)))))
    .flat()
    .sort((a, b) => apiVersions.indexOf(a.apiVersion) - apiVersions.indexOf(b.apiVersion));

  // The probe was wrong about a revision the server took after all: run it
  // again with every check.
  const misjudged = rows.filter((r) => unserved.has(r.apiVersion) && r.state !== 'refused');
  if (misjudged.length > 0) {
    debug('the swagger probe missed %s', misjudged.map((r) => r.apiVersion).join(', '));
    const blocks = misjudged.map(({ apiVersion }): Block => ({
      apiVersion,
      kind: apiVersion === anchor ? 'full' : 'per-revision',
    }));
    const again = await runGroup(options, blocks, probes);
    for (const row of again) rows[rows.findIndex((r) => r.apiVersion === row.apiVersion)] = row;
  }

  // The once-per-matrix checks proved nothing if the anchor was refused:
  // give them one more run, with the newest revision the server took.
  let fullRun = anchor;
  const anchorRow = rows.find((r) => r.apiVersion === anchor);
  const served = rows.filter((r) => r.state === 'served');
  const newest = served[served.length - 1];
  if (anchorRow && anchorRow.state !== 'served' && newest) {
    debug('%s was %s; the full collection runs with %s', anchor, anchorRow.state, newest.apiVersion);
    const [rerun] = await runGroup(options, [{ apiVersion: newest.apiVersion, kind: 'full' }], probes);
    rows[rows.indexOf(newest)] = rerun;
    fullRun = newest.apiVersion;
  }
  for (const row of rows) {
    markSkipped(row, fullRun);
    row.passed = isRowPassing(row);
  }

  const problems: string[] = [];
  if (!rows.some((r) => r.state === 'served')) {
    problems.push(
      plan.kind === 'discover' && apiVersions.length === 0
        ? 'the swagger probe found no revision this server serves, so nothing was proven'
        : 'the server refused every revision asked for, so nothing was proven',
    );
  }
  return matrixOf(options, rows, discovery, problems, started);
}

function matrixOf(
  options: MatrixOptions,
  rows: MatrixRow[],
  discovery: ProbeResult[] | null,
  problems: string[],
  started: number,
): Matrix {
  const transport = rows.find((r) => r.verdict.transport)?.verdict.transport ?? null;
  return {
    passed: problems.length === 0 && transport === null && rows.every((r) => r.passed),
    collection: { name: options.collection.name, version: options.collection.version },
    target: options.target,
    baseUrl: options.environment.baseUrl,
    plan: options.plan,
    rows,
    discovery,
    transport,
    problems,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
  };
}

/** The revision whose run holds the once-per-matrix checks. */
function anchorOf(apiVersions: readonly string[], preferred: string): string | undefined {
  if (apiVersions.includes(preferred)) return preferred;
  return apiVersions[apiVersions.length - 1];
}

/** The environment's one revision, run as `check` always ran it. */
async function runSingle(options: MatrixOptions, apiVersion: string): Promise<MatrixRow> {
  const started = Date.now();
  const verdict = await runChecks({ ...options, environment: environmentAt(options, apiVersion) });
  return rowOf(apiVersion, verdict, new Date(started).toISOString(), Date.now() - started, true, undefined);
}

/**
 * Runs several revisions in one newman run. Each newman run costs a fixed
 * share of CPU (its script sandbox, its agents) that a run per revision
 * would pay over and over: the collection is copied once per revision
 * instead, each copy switching the revision before its first request.
 */
async function runGroup(options: MatrixOptions, blocks: readonly Block[], probes: ProbeHints): Promise<MatrixRow[]> {
  const started = Date.now();
  const group = blocks.map((b) => b.apiVersion);
  const collection = copiesPerRevision(options.collection, blocks);
  const timeoutRunMs = (options.timeoutRunMs ?? DEFAULT_TIMEOUT_RUN_MS) * group.length;

  debug('one run for %s', group.join(', '));
  const tokens: { apiVersion: string; accessToken: string }[] = [];
  const verdicts = await runChecksInSlices(
    { ...options, collection, environment: environmentAt(options, group[0]), timeoutRunMs },
    (executions) => {
      const slices = sliceByRevision(executions, group);
      for (const [i, slice] of slices.entries()) {
        if (blocks[i].kind === 'full') continue;
        for (const accessToken of accessTokensOf(slice.executions)) {
          tokens.push({ apiVersion: slice.apiVersion, accessToken });
        }
      }
      return slices;
    },
  );
  // These copies had no logout check: log their tokens out, so none of
  // them stays live on the server.
  await logOut({
    baseUrl: options.environment.baseUrl,
    tokens,
    caFile: options.caFile,
    isInsecure: options.isInsecure,
    timeoutRequestMs: options.timeoutRequestMs,
  });

  // newman reports no timings per request: each revision gets its share.
  const share = Math.round((Date.now() - started) / group.length);
  const startedAt = new Date(started).toISOString();
  return verdicts.map((verdict, i) => rowOf(group[i], verdict, startedAt, share, false, probes.get(group[i])));
}

function rowOf(
  apiVersion: string,
  verdict: Verdict,
  startedAt: string,
  durationMs: number,
  isSingle: boolean,
  probeStatus: number | undefined,
): MatrixRow {
  const state = stateOf(verdict, probeStatus);
  const cells = verdict.checks.map((check): MatrixCell => {
    const cell: MatrixCell = {
      id: check.id,
      expectation: check.expectation,
      outcome: check.outcome,
      passed: check.passed,
      status: check.status,
      errorCode: check.errorCode,
      reason: check.reason,
    };
    if (state === 'refused' && !isSingle) {
      const reason = `the server does not serve x-api-version ${apiVersion} (400)`;
      return { ...cell, outcome: 'refused', passed: false, reason };
    }
    return cell;
  });

  return { apiVersion, state, passed: verdict.passed, cells, verdict, startedAt, durationMs };
}

function environmentAt(options: MatrixOptions, apiVersion: string): MatrixOptions['environment'] {
  return {
    ...options.environment,
    apiVersion,
    values: [
      ...options.environment.values.filter((v) => v.key !== 'apiVersion'),
      { key: 'apiVersion', value: apiVersion },
    ],
  };
}

/**
 * What the swagger probe said of each revision it could judge: 200
 * (served) or 404 (not served). Any other status says nothing.
 */
type ProbeHints = ReadonlyMap<string, number>;

function hintsOf(probes: readonly ProbeResult[]): ProbeHints {
  // A server that publishes no swagger at all answers 404 to every probe:
  // that says nothing about the revisions it serves.
  if (!probes.some((p) => p.isServed)) return new Map();
  return new Map(probes.filter((p) => p.status === 200 || p.status === 404).map((p) => [p.apiVersion, p.status]));
}

/**
 * The swagger probe's hints for a list of revisions. Those it says the
 * server does not serve (404) still run, but only as far as their token
 * requests, which decide. A probe that fails, or finds nothing served,
 * hints nothing.
 */
async function probeHints(options: MatrixOptions, apiVersions: readonly string[]): Promise<ProbeHints> {
  try {
    return hintsOf(
      await probeRevisions({
        baseUrl: options.environment.baseUrl,
        apiVersions,
        caFile: options.caFile,
        isInsecure: options.isInsecure,
        timeoutRequestMs: options.timeoutRequestMs,
      }),
    );
  } catch (cause) {
    debug('no swagger hint: %s', (cause as Error).message);
    return new Map();
  }
}

/**
 * The errorCodes with which the REST API refuses a revision it does not
 * serve: `NotImplemented` ("The specified API version is not supported.")
 * or none at all (older servers answer with a bare message). Any other
 * errorCode, such as UnexpectedContent, is the server taking the revision
 * and rejecting the request.
 */
const REVISION_REFUSAL_CODES: readonly (string | null)[] = ['NotImplemented', null];

/** Whether one check's answer is the REST API's refusal of a revision. */
export function isRevisionRefusal(answer: { status: number | null; errorCode: string | null }): boolean {
  return answer.status === 400 && REVISION_REFUSAL_CODES.includes(answer.errorCode);
}

/**
 * A revision is refused when the server answered both password-grant
 * requests with a revision refusal (400 NotImplemented, or 400 without an
 * errorCode), and, when the swagger probe could tell, the probe agrees
 * (404). A refusal for one account only, a 400 of another errorCode, or a
 * 400 at a revision the probe finds served is a failing check, never a
 * revision no longer served.
 */
function stateOf(verdict: Verdict, probeStatus: number | undefined): RevisionState {
  if (verdict.transport) return 'no-response';
  // A 400 that is no REST API answer (a proxy's page) refuses nothing.
  if (verdict.serverFault) return 'served';

  const isRefusedFor = (id: CheckId) => {
    const check = verdict.checks.find((c) => c.id === id);
    return check !== undefined && isRevisionRefusal(check);
  };
  const isRefused = isRefusedFor('service-account-token') && isRefusedFor('mfa-user-refused');
  if (!isRefused) return 'served';
  return probeStatus === undefined || probeStatus === 404 ? 'refused' : 'served';
}

/** A refused revision is no failure; a served one passes every check it ran. */
function isRowPassing(row: MatrixRow): boolean {
  if (row.state === 'refused') return true;
  if (row.state === 'no-response') return false;
  return row.cells.every((c) => c.passed || c.outcome === 'skipped');
}

/** Marks the once-per-matrix checks left out of a revision's run as skipped. */
function markSkipped(row: MatrixRow, fullRun: string | undefined): void {
  for (const cell of row.cells) {
    if (cell.outcome === 'not-run' && ONCE_PER_MATRIX.includes(cell.id) && row.apiVersion !== fullRun) {
      cell.outcome = 'skipped';
      cell.reason = fullRun
        ? `runs once per matrix, with ${fullRun}`
        : 'runs once per matrix, with a served revision; none was served';
    }
  }
}

type RawItem = {
  id?: string;
  name?: string;
  item?: RawItem[];
  event?: unknown[];
  [key: string]: unknown;
};

// Marks each copied request with its revision; the mark comes off again
// before anything is judged or shown.
const COPY_MARK = '\u241frev=';

/**
 * How much of the collection a revision's copy holds: every check
 * (`full`), all but the once-per-matrix ones (`per-revision`), or just the
 * two password grants that show a refusal (`refusal`).
 */
export type Block = { apiVersion: string; kind: 'full' | 'per-revision' | 'refusal' };

const REFUSAL_CHECKS: readonly CheckId[] = ['service-account-token', 'mfa-user-refused'];

function isInBlock(kind: Block['kind'], id: CheckId | null): boolean {
  if (kind === 'full') return true;
  if (kind === 'refusal') return id !== null && REFUSAL_CHECKS.includes(id);
  return id === null || !ONCE_PER_MATRIX.includes(id);
}

/**
 * A top-level entry with only the requests a block of `kind` sends, or
 * null when none is left. Each request is mapped to its check as the
 * runner maps it (its own `[check-id]` name first, then its top-level
 * folder's name), so a bracketed name cannot slip a once-per-matrix
 * request into every revision.
 */
function prunedForBlock(top: RawItem, kind: Block['kind']): RawItem | null {
  const folder = String(top.name ?? '');
  const prune = (item: RawItem): RawItem | null => {
    if (!Array.isArray(item.item)) {
      return isInBlock(kind, checkIdOf({ folder, itemName: String(item.name ?? '') })) ? item : null;
    }
    const kept = item.item.map(prune).filter((child): child is RawItem => child !== null);
    return kept.length > 0 ? { ...item, item: kept } : null;
  };
  return prune(top);
}

/**
 * The collection with its top-level folders once per revision, in order,
 * as much of them as each block asks for. Every request is renamed and
 * re-identified per copy, so nothing of one copy can be taken for another's.
 */
export function copiesPerRevision(collection: CollectionFile, blocks: readonly Block[]): CollectionFile {
  const top = (collection.json.item ?? []) as RawItem[];
  const items = blocks.flatMap(({ apiVersion, kind }) => {
    const folders = top.flatMap((entry, i) => {
      const pruned = prunedForBlock(entry, kind);
      return pruned ? [markCopy(structuredClone(pruned), apiVersion, String(entry.id ?? entry.name ?? i))] : [];
    });
    const first = firstRequest(folders);
    if (first) switchRevision(first, apiVersion);
    return folders;
  });
  return { ...collection, json: { ...collection.json, item: items } };
}

/**
 * Sets the copy's revision before its first request is sent. The line goes
 * at the top of the request's own pre-request script when it has one: each
 * script is a sandbox run of its own, and those are what a run spends most
 * of its time on.
 */
function switchRevision(request: RawItem, apiVersion: string): void {
  // parseRevisionList and the swagger probe vet the value: it is a
  // revision, safe inside a script.
  const line = `pm.environment.set('apiVersion', ${JSON.stringify(apiVersion)});`;
  const events = (request.event ?? []) as { listen?: string; script?: { exec?: string | string[] } }[];
  const own = events.find((e) => e.listen === 'prerequest' && e.script);
  if (own?.script) {
    const exec = own.script.exec ?? [];
    own.script.exec = [line, ...(Array.isArray(exec) ? exec : exec.split('\n'))];
    return;
  }
  request.event = [{ listen: 'prerequest', script: { type: 'text/javascript', exec: [line] } }, ...events];
}

function markCopy(item: RawItem, apiVersion: string, path: string): RawItem {
  if (Array.isArray(item.item)) {
    item.item = item.item.map((child, i) => markCopy(child, apiVersion, `${path}/${child.id ?? child.name ?? i}`));
    if (item.id) item.id = `${item.id}${COPY_MARK}${apiVersion}`;
    return item;
  }
  item.id = `${item.id ?? path}${COPY_MARK}${apiVersion}`;
  item.name = `${item.name ?? ''}${COPY_MARK}${apiVersion}`;
  return item;
}

function firstRequest(items: readonly RawItem[]): RawItem | undefined {
  for (const item of items) {
    if (!Array.isArray(item.item)) return item;
    const inner = firstRequest(item.item);
    if (inner) return inner;
  }
  return undefined;
}

/** The access tokens the server issued in these executions. */
function accessTokensOf(executions: readonly Execution[]): string[] {
  return executions.flatMap((execution) => {
    if (execution.status !== 200) return [];
    try {
      const token = (JSON.parse(execution.responseBody) as { access_token?: unknown })?.access_token;
      return typeof token === 'string' && token ? [token] : [];
    } catch {
      return [];
    }
  });
}

/** Cuts a run of copies into one slice per revision and takes the marks off. */
function sliceByRevision(executions: readonly Execution[], group: readonly string[]): RunSlice[] {
  const slices = new Map(group.map((apiVersion) => [apiVersion, [] as Execution[]]));
  let current = group[0];
  for (const execution of executions) {
    const at = execution.itemName.lastIndexOf(COPY_MARK);
    if (at >= 0) current = execution.itemName.slice(at + COPY_MARK.length);
    slices.get(current)?.push({ ...execution, itemName: unmark(execution.itemName), folder: unmark(execution.folder) });
  }
  return group.map((apiVersion) => ({ apiVersion, executions: slices.get(apiVersion) ?? [] }));
}

function unmark(name: string): string {
  const at = name.lastIndexOf(COPY_MARK);
  return at >= 0 ? name.slice(0, at) : name;
}

/**
 * Deals `items` into at most `count` groups of nearly equal weight, the
 * heaviest first, each group keeping the items' order: the runs end at
 * about the same time, so none runs alone at the end.
 */
function balancedGroups<T>(items: readonly T[], weight: (item: T) => number, count: number): T[][] {
  const n = Math.max(1, Math.min(count, items.length));
  const groups = Array.from({ length: n }, () => ({ load: 0, members: [] as number[] }));
  const heaviestFirst = items.map((item, index) => ({ index, w: weight(item) })).sort((a, b) => b.w - a.w);
  for (const { index, w } of heaviestFirst) {
    const lightest = groups.reduce((min, g) => (g.load < min.load ? g : min));
    lightest.load += w;
    lightest.members.push(index);
  }
  return groups
    .filter((g) => g.members.length > 0)
    .map((g) => g.members.sort((a, b) => a - b).map((i) => items[i]));
}

/** Requests a block of `kind` sends, counting each request of its folders once. */
function requestCount(collection: CollectionFile, kind: Block['kind']): number {
  const count = (item: RawItem): number => (Array.isArray(item.item) ? item.item.reduce((sum, i) => sum + count(i), 0) : 1);
  return ((collection.json.item ?? []) as RawItem[])
    .map((entry) => prunedForBlock(entry, kind))
    .reduce((sum, entry) => sum + (entry ? count(entry) : 0), 0);
}
