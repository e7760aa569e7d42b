import type { MfaAttribution } from '../attribution';
import { checkIdOf, isEvidence, missingChecksMessage } from '../check-mapping';
import { CHECK_IDS, CHECKS, type CheckId } from '../checks';
import type { Execution } from './newman-run';
import { classifyResponse, classifyTransport, type ServerFault, type TransportFault } from './transport';

export type CheckOutcome = 'passed' | 'failed' | 'not-counted' | 'transport-error' | 'not-run';

export type CheckVerdict = {
  id: CheckId;
  expectation: string;
  passed: boolean;
  outcome: CheckOutcome;
  /** Status of the request that decided the check: the first failing one, else the last. */
  status: number | null;
  errorCode: string | null;
  reason: string;
  /** mfa-user-refused only: why the server refused, when the run could tell. */
  attribution?: MfaAttribution;
};

export type RunError = {
  code: 'ERR_UNRESOLVED_VARIABLE' | 'ERR_NO_TESTS' | 'ERR_TRANSPORT' | 'ERR_CHECK_MISSING';
  message: string;
};

/** A request sent a second time after a connection reset. */
export type Retry = {
  check: CheckId | null;
  method: string;
  host: string;
  path: string;
  /** What the first attempt got. */
  code: string;
};

export type Judgement = {
  checks: CheckVerdict[];
  errors: RunError[];
  transport: TransportFault | null;
  /** The first answer that was no REST API answer (5xx, HTML, not JSON, no token). */
  serverFault: ServerFault | null;
  retries: Retry[];
};

const UNRESOLVED = /\{\{\s*([^{}]+?)\s*\}\}/g;

/**
 * Turns newman's executions into one verdict per check, with the guards that
 * keep a check from passing for the wrong reason.
 */
export function judge(
  executions: readonly Execution[],
  inCollection: ReadonlySet<CheckId> = new Set(CHECK_IDS),
): Judgement {
  const errors: RunError[] = [];
  const serverFaults: ServerFault[] = [];
  let transport: TransportFault | null = null;

  const own = new Map<CheckId, CheckVerdict>();
  for (const id of CHECK_IDS) {
    const runs = executions.filter((e) => checkIdOf(e) === id && !isEvidence(e));
    const verdict = judgeOne(id, runs, errors, serverFaults);
    if (verdict.outcome === 'transport-error') {
      const failed = runs.find((e) => e.requestError);
      const fault = classifyTransport(failed?.requestError?.code, hostOf(failed?.url ?? ''), failed?.requestError ?? {});
      verdict.reason = `no response: ${fault.summary}`;
      transport ??= fault;
    }
    own.set(id, verdict);
  }

  // After a request got no answer the run stops (runNewman): the checks it
  // never reached are unreachable too, not missing from the collection.
  if (transport) {
    for (const [id, verdict] of own) {
      if (verdict.outcome === 'not-run' && inCollection.has(id)) {
        own.set(id, { ...verdict, outcome: 'transport-error', reason: `not sent: the run stopped after ${transport.summary}` });
      }
    }
  }

  const missing = CHECK_IDS.filter((id) => own.get(id)?.outcome === 'not-run');
  if (missing.length > 0) {
    errors.push({ code: 'ERR_CHECK_MISSING', message: missingChecksMessage(missing, executions) });
  }

  const checks = CHECK_IDS.map((id) => applyDependencies(id, own, executions));
  const retries = executions.filter((e) => e.retriedAfter).map(retryOf);
  return { checks, errors, transport, serverFault: serverFaults[0] ?? null, retries };
}

function retryOf(execution: Execution): Retry {
  let host = 'the server';
  let path = '(unparsable URL)';
  try {
    ({ host, pathname: path } = new URL(execution.url));
  } catch {
    // Keep the placeholders.
  }
  return { check: checkIdOf(execution), method: execution.method, host, path, code: execution.retriedAfter ?? 'ECONNRESET' };
}

function judgeOne(
  id: CheckId,
  runs: readonly Execution[],
  errors: RunError[],
  serverFaults: ServerFault[],
): CheckVerdict {
  const base = { id, expectation: CHECKS[id].expectation };

  if (runs.length === 0) {
    return { ...base, passed: false, outcome: 'not-run', status: null, errorCode: null, reason: 'the collection has no request for this check' };
  }

  const failedTransport = runs.find((e) => e.requestError);
  if (failedTransport) {
    errors.push({ code: 'ERR_TRANSPORT', message: `${id}: ${failedTransport.method} ${pathOf(failedTransport.url)} got no response` });
    return { ...base, passed: false, outcome: 'transport-error', status: null, errorCode: null, reason: 'no response' };
  }

  // newman sends an undefined {{variable}} literally; a refusal it provokes
  // would pass for the wrong reason.
  for (const run of runs) {
    const names = unresolvedVariables(run);
    if (names.length > 0) {
      const list = names.map((n) => `{{${n}}}`).join(', ');
      errors.push({ code: 'ERR_UNRESOLVED_VARIABLE', message: `${id}: ${list} reached the wire unresolved` });
      return { ...decided(base, run), passed: false, outcome: 'failed', reason: `${list} reached the wire unresolved; define it in the environment or collection` };
    }
  }

  // A request with no pm.test passes whatever its status.
  const untested = runs.find((e) => e.assertions.length === 0);
  if (untested) {
    errors.push({ code: 'ERR_NO_TESTS', message: `${id}: request "${untested.itemName}" has no pm.test` });
    return { ...decided(base, untested), passed: false, outcome: 'failed', reason: `request "${untested.itemName}" has no pm.test, so it cannot fail` };
  }

  for (const run of runs) {
    const failure = run.assertions.find((a) => a.error !== null);
    if (failure) {
      // An answer that is no REST API answer is named by what came back.
      const fault = classifyResponse(run);
      if (fault) serverFaults.push(fault);
      return { ...decided(base, run), passed: false, outcome: 'failed', reason: fault ? fault.reason : `${failure.name}: ${failure.error}` };
    }
  }

  return { ...decided(base, runs[runs.length - 1]), passed: true, outcome: 'passed', reason: 'as expected' };
}

function applyDependencies(
  id: CheckId,
  own: Map<CheckId, CheckVerdict>,
  executions: readonly Execution[],
): CheckVerdict {
  const verdict = own.get(id) as CheckVerdict;
  if (verdict.outcome === 'transport-error' || verdict.outcome === 'not-run') {
    return verdict;
  }

  for (const dependency of CHECKS[id].dependsOn) {
    const ownResult = verdict.passed ? '' : `; on its own: ${verdict.reason}`;
    if (!own.get(dependency)?.passed) {
      return { ...verdict, passed: false, outcome: 'not-counted', reason: `not counted: ${dependency} did not pass in this run, so this result proves nothing${ownResult}` };
    }
    if (!sameServerAndRevision(id, dependency, executions)) {
      return { ...verdict, passed: false, outcome: 'not-counted', reason: `not counted: ${dependency} ran against another server or revision${ownResult}` };
    }
  }
  return verdict;
}

function sameServerAndRevision(a: CheckId, b: CheckId, executions: readonly Execution[]): boolean {
  const of = (id: CheckId) => executions.filter((e) => checkIdOf(e) === id && !isEvidence(e));
  const reference = of(b)[0];
  const runs = of(a);
  if (!reference || runs.length === 0) return false;

  // Every request of the check, not only its first, must go where the
  // dependency went: a later one could be aimed at another server.
  const origin = originOf(reference.url);
  if (runs.some((run) => originOf(run.url) !== origin)) return false;

  // The unsupported-revision check changes the revision on purpose.
  if (a === 'unsupported-revision-refused' || b === 'unsupported-revision-refused') return true;
  const revision = headerOf(reference, 'x-api-version');
  return runs.every((run) => headerOf(run, 'x-api-version') === revision);
}

function decided(base: { id: CheckId; expectation: string }, run: Execution) {
  return { ...base, status: run.status, errorCode: errorCodeOf(run.responseBody) };
}

function errorCodeOf(body: string): string | null {
  if (!body.trim()) return null;
  try {
    const json = JSON.parse(body) as { errorCode?: unknown };
    return typeof json?.errorCode === 'string' ? json.errorCode : null;
  } catch {
    return null;
  }
}

/** Variable names that reached the wire as `{{name}}`, raw or percent-encoded. */
export function unresolvedVariables(run: Execution): string[] {
  const texts = [run.url, run.body, ...run.headers.map((h) => h.value)];
  const names = new Set<string>();
  for (const text of texts) {
    for (const form of [text, safeDecode(text), safeDecode(text.replace(/\+/g, ' '))]) {
      for (const match of form.matchAll(UNRESOLVED)) names.add(match[1]);
    }
  }
  return [...names];
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text.replace(/%7B/gi, '{').replace(/%7D/gi, '}');
  }
}

function headerOf(run: Execution, name: string): string | undefined {
  return run.headers.find((h) => h.key.toLowerCase() === name)?.value;
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the server';
  }
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return '(unparsable URL)';
  }
}
