import { checksInCollection } from './check-mapping';
import { explainMfaRefusal } from './attribution';
import type { CollectionFile } from './config/collection';
import type { Credentials } from './config/credentials';
import type { EnvironmentFile } from './config/environment';
import { HarnessError } from './errors';
import { debugLog, withLog } from './log';
import { Redactor } from './redact';
import { runNewman, type Execution } from './runner/newman-run';
import { judge, type CheckVerdict, type Retry, type RunError } from './runner/verdict';
import type { ServerFault, TransportFault } from './runner/transport';

const debug = debugLog('veeam-auth:run');

export type RunChecksOptions = {
  collection: CollectionFile;
  environment: Pick<EnvironmentFile, 'name' | 'baseUrl' | 'apiVersion' | 'values'>;
  credentials: Credentials;
  caFile?: string;
  isInsecure?: boolean;
  timeoutRequestMs?: number;
  timeoutRunMs?: number;
  /** Secrets beyond the credentials to mask in the verdict. */
  redactor?: Redactor;
};

export type Verdict = {
  passed: boolean;
  collection: { name: string; version: string };
  target: string;
  apiVersion: string;
  checks: CheckVerdict[];
  errors: RunError[];
  transport: TransportFault | null;
  /** The first answer that was no REST API answer: a 5xx, HTML, not JSON, no token. */
  serverFault?: ServerFault | null;
  /** Requests sent again after a connection reset. */
  retries?: Retry[];
};

export const DEFAULT_TIMEOUT_REQUEST_MS = 15_000;
export const DEFAULT_TIMEOUT_RUN_MS = 120_000;

/**
 * Runs the collection against one server and revision and returns one
 * verdict per check. Never prints; every string in the verdict has passed
 * through the run's redactor.
 */
export async function runChecks(options: RunChecksOptions): Promise<Verdict> {
  const redactor = options.redactor ?? new Redactor();
  // Diagnostics of this run pass its redactor, wherever they are written.
  return withLog({ redactor }, () => run(options, redactor));
}

/** One slice of a run's executions and the revision they were sent with. */
export type RunSlice = { apiVersion: string; executions: Execution[] };

/**
 * Runs the collection once and judges its executions slice by slice, as if
 * each slice were a run of its own: for a collection that holds one copy of
 * the checks per revision. `split` cuts the executions, in order.
 */
export async function runChecksInSlices(
  options: RunChecksOptions,
  split: (executions: Execution[]) => RunSlice[],
): Promise<Verdict[]> {
  const redactor = options.redactor ?? new Redactor();
  return withLog({ redactor }, async () => {
    const executions = await execute(options, redactor);
    return split(executions).map((slice) =>
      verdictOf(slice.executions, { ...options, environment: { ...options.environment, apiVersion: slice.apiVersion } }, redactor),
    );
  });
}

async function run(options: RunChecksOptions, redactor: Redactor): Promise<Verdict> {
  return verdictOf(await execute(options, redactor), options, redactor);
}

async function execute(options: RunChecksOptions, redactor: Redactor): Promise<Execution[]> {
  const { credentials } = options;
  redactor.addCredentials(credentials.serviceAccountUsername, credentials.serviceAccountPassword);
  redactor.addCredentials(credentials.mfaUsername, credentials.mfaPassword);

  const timeoutRunMs = options.timeoutRunMs ?? DEFAULT_TIMEOUT_RUN_MS;
  const environment = {
    name: options.environment.name,
    values: [
      ...options.environment.values.filter((v) => !(v.key in credentials)),
      ...Object.entries(credentials).map(([key, value]) => ({ key, value, type: 'secret' })),
    ],
  };

  debug('collection %s %s against %s at %s', options.collection.name, options.collection.version, options.environment.baseUrl, options.environment.apiVersion);

  const executions = await withDeadline(
    runNewman({
      collection: options.collection.json,
      environment,
      caFile: options.caFile,
      isInsecure: options.isInsecure,
      timeoutRequestMs: options.timeoutRequestMs ?? DEFAULT_TIMEOUT_REQUEST_MS,
      timeoutRunMs,
      // A connection reset is retried once where no bad password can result.
      serviceAccount: {
        username: credentials.serviceAccountUsername,
        password: credentials.serviceAccountPassword,
      },
    }),
    // newman bounds the run itself; this is the backstop if it never calls back.
    timeoutRunMs + 5_000,
  );

  for (const execution of executions) learnTokens(execution, redactor);
  for (const execution of executions) {
    debug('%s %s -> %s', execution.method, pathOnly(execution.url), execution.status ?? execution.requestError?.code);
  }
  return executions;
}

function verdictOf(executions: Execution[], options: RunChecksOptions, redactor: Redactor): Verdict {
  const { credentials } = options;
  const judgement = judge(executions, checksInCollection(options.collection.json));
  // Post-run: the users list the collection read explains the MFA user's 401.
  const checks = explainMfaRefusal(judgement.checks, {
    executions,
    apiVersion: options.environment.apiVersion,
    serviceAccountUsername: credentials.serviceAccountUsername,
    mfaUsername: credentials.mfaUsername,
  });
  const verdict: Verdict = {
    passed: checks.every((c) => c.passed) && judgement.errors.length === 0,
    collection: { name: options.collection.name, version: options.collection.version },
    target: options.environment.baseUrl,
    apiVersion: options.environment.apiVersion,
    ...judgement,
    checks,
  };
  return redactor.redactValue(verdict);
}

// A server chooses its tokens; one as short as a word ("checks") would
// shred the report if masked. Real tokens are JWTs, hundreds of characters.
const MIN_TOKEN_LENGTH = 12;

/** Tokens the run saw, in bodies and headers, become secrets to mask. */
function learnTokens(execution: Execution, redactor: Redactor): void {
  for (const header of execution.headers) {
    const value = header.value.replace(/^\S+\s+/, '');
    // An unresolved `{{accessToken}}` is no secret, and masking it would
    // hide the variable's name from the error that reports it.
    if (header.key.toLowerCase() === 'authorization' && !value.includes('{{') && value.length >= MIN_TOKEN_LENGTH) {
      redactor.add(value);
    }
  }

  try {
    const body = JSON.parse(execution.responseBody) as Record<string, unknown>;
    for (const key of ['access_token', 'refresh_token']) {
      const token = body?.[key];
      if (typeof token === 'string' && token.length >= MIN_TOKEN_LENGTH) redactor.add(token);
    }
  } catch {
    // Not JSON: nothing to learn.
  }
}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new HarnessError('ERR_RUN_TIMEOUT', `the run did not finish within ${ms} ms`, 'check the server, or raise --timeout')),
      ms,
    );
    timer.unref();
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

function pathOnly(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return '(unparsable URL)';
  }
}
