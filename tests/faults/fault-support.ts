import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import nock from 'nock';

import { loadCollection } from '../../src/config/collection';
import { runChecks, type RunChecksOptions, type Verdict } from '../../src/run-checks';
import type { FaultName } from '../../src/simulator/faults';
import type { ScenarioName } from '../../src/simulator/scenarios';
import { startSimulator, type RunningSimulator } from '../../src/simulator/start';
import { COLLECTION_FILE, ROOT } from '../support/harness';

/** Bounds short enough to keep a run that times out on every request quick. */
export const FAST = { timeoutRequestMs: 300, timeoutRunMs: 10_000 } as const;

/** How many requests one run of the shipped collection sends. */
export function requestsInCollection(): number {
  type Item = { item?: Item[]; request?: unknown };
  const count = (items: Item[]): number =>
    items.reduce((n, i) => n + (i.request ? 1 : 0) + count(i.item ?? []), 0);
  return count(loadCollection(COLLECTION_FILE).json.item as Item[]);
}

/** The longest a run under FAST bounds may take when every request times out. */
export function fastRunBoundMs(): number {
  return requestsInCollection() * FAST.timeoutRequestMs + 2_000;
}

/** The loopback simulator under a fault; the test closes it. */
export function simulatorWith(
  fault: FaultName | undefined,
  scenario: ScenarioName = 'healthy',
): Promise<RunningSimulator> {
  return startSimulator({ port: 0, fault, scenario });
}

/** Runs the checks against a loopback simulator, trusting its CA. */
export function runAgainstSimulator(
  simulator: RunningSimulator,
  overrides: Partial<RunChecksOptions> = {},
): Promise<Verdict> {
  return runChecks({
    collection: loadCollection(COLLECTION_FILE),
    environment: environmentFor(simulator.baseUrl, simulator.apiVersion),
    credentials: simulator.credentials,
    caFile: simulator.caFile,
    timeoutRequestMs: 2_000,
    timeoutRunMs: 10_000,
    ...overrides,
  });
}

export function environmentFor(baseUrl: string, apiVersion = '1.3-rev2'): RunChecksOptions['environment'] {
  return {
    name: 'faults',
    baseUrl,
    apiVersion,
    values: [
      { key: 'baseUrl', value: baseUrl },
      { key: 'apiVersion', value: apiVersion },
    ],
  };
}

/** Credentials for runs that never reach a server. */
export const UNUSED_CREDENTIALS = {
  serviceAccountUsername: 'svc-harness',
  serviceAccountPassword: 'not-sent-anywhere&+%#',
  mfaUsername: 'mfa-admin',
  mfaPassword: 'not-sent-either&+%#',
};

/** A loopback port that was just free and now refuses connections. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Answers every request to `baseUrl` with a request error, as a failed name
 * lookup would. nock 14 crashes on a plain object given to replyWithError
 * (nock#2829), so the error is a real Error with a code.
 */
export function interceptWithError(baseUrl: string, code: string, message: string): void {
  const error = Object.assign(new Error(message), { code });
  const scope = nock(baseUrl).persist();
  for (const method of ['GET', 'POST']) scope.intercept(/.*/, method).replyWithError(error);
}

/**
 * Holds back the connection of every request to `baseUrl`, as a server that
 * never completes the TCP handshake would.
 */
export function interceptWithoutConnecting(baseUrl: string, ms: number): void {
  const scope = nock(baseUrl).persist();
  for (const method of ['GET', 'POST']) {
    scope
      .intercept(/.*/, method)
      .delayConnection(ms)
      .reply(200, '{}', { 'content-type': 'application/json', 'content-length': '2' });
  }
}

export type ServerFolder = { dir: string; envFile: string; remove: () => void };

/**
 * A folder the CLI can run `check --env` from: the harness's .env.example
 * and an environment naming `baseUrl`. The credentials come from the
 * process environment (see withCredentialEnv).
 */
export function serverFolder(baseUrl: string): ServerFolder {
  const dir = mkdtempSync(path.join(tmpdir(), 'veeam-auth-faults-'));
  copyFileSync(path.join(ROOT, '.env.example'), path.join(dir, '.env.example'));
  const envFile = path.join(dir, 'vbr.postman_environment.json');
  const environment = {
    name: 'fault test',
    values: [
      { key: 'baseUrl', value: baseUrl, enabled: true },
      { key: 'apiVersion', value: '1.3-rev2', enabled: true },
    ],
  };
  writeFileSync(envFile, JSON.stringify(environment));
  return { dir, envFile, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

const CREDENTIAL_VARIABLES = {
  VBR_SERVICE_ACCOUNT_USERNAME: UNUSED_CREDENTIALS.serviceAccountUsername,
  VBR_SERVICE_ACCOUNT_PASSWORD: UNUSED_CREDENTIALS.serviceAccountPassword,
  VBR_MFA_USERNAME: UNUSED_CREDENTIALS.mfaUsername,
  VBR_MFA_PASSWORD: UNUSED_CREDENTIALS.mfaPassword,
};

/** Sets the credential variables for the tests of a file, and restores them after. */
export function withCredentialEnv(): void {
  const saved: Record<string, string | undefined> = {};
  beforeAll(() => {
    for (const [key, value] of Object.entries(CREDENTIAL_VARIABLES)) {
      saved[key] = process.env[key];
      process.env[key] = value;
    }
  });
  afterAll(() => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });
}

/** The lines a CLI run printed on stderr, without the trailing empty one. */
export function linesOf(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}

/** True when the text holds a line of a JavaScript stack trace. */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+\(?.+:\d+:\d+\)?$/m.test(text);
}
