import { debuglog } from 'node:util';

import type { CollectionFile } from './config/collection';
import type { Credentials } from './config/credentials';
import type { EnvironmentFile } from './config/environment';
import { HarnessError } from './errors';
import { Redactor } from './redact';
import { runNewman, type Execution } from './runner/newman-run';
import { judge, type CheckVerdict, type RunError } from './runner/verdict';
import type { TransportFault } from './runner/transport';

const debug = debuglog('veeam-auth:run');

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
  const { credentials } = options;
  redactor.add(credentials.serviceAccountUsername);
  redactor.addCredentials(credentials.serviceAccountUsername, credentials.serviceAccountPassword);
  redactor.add(credentials.mfaUsername);
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
    }),
    // newman bounds the run itself; this is the backstop if it never calls back.
    timeoutRunMs + 5_000,
  );

  for (const execution of executions) learnTokens(execution, redactor);
  for (const execution of executions) {
    debug('%s %s -> %s', execution.method, pathOnly(execution.url), execution.status ?? execution.requestError?.code);
  }

  const judgement = judge(executions);
  const verdict: Verdict = {
    passed: judgement.checks.every((c) => c.passed) && judgement.errors.length === 0,
    collection: { name: options.collection.name, version: options.collection.version },
    target: options.environment.baseUrl,
    apiVersion: options.environment.apiVersion,
    ...judgement,
  };
  return redactor.redactValue(verdict);
}

/** Tokens the run saw, in bodies and headers, become secrets to mask. */
function learnTokens(execution: Execution, redactor: Redactor): void {
  for (const header of execution.headers) {
    const value = header.value.replace(/^\S+\s+/, '');
    // An unresolved `{{accessToken}}` is no secret, and masking it would
    // hide the variable's name from the error that reports it.
    if (header.key.toLowerCase() === 'authorization' && !value.includes('{{')) {
      redactor.add(value);
    }
  }

  try {
    const body = JSON.parse(execution.responseBody) as Record<string, unknown>;
    for (const key of ['access_token', 'refresh_token']) {
      if (typeof body?.[key] === 'string') redactor.add(body[key] as string);
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
