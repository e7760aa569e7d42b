import { spawn } from 'node:child_process';
import path from 'node:path';

import { loadCollection, type CollectionFile } from '../../src/config/collection';
import type { Credentials } from '../../src/config/credentials';
import { main } from '../../src/cli/main';
import { runChecks, type RunChecksOptions, type Verdict } from '../../src/run-checks';
import { demoAccounts, VbrModel, type Account } from '../../src/simulator/model';
import { interceptSimulator } from '../../src/simulator/nock-face';
import type { ScenarioName } from '../../src/simulator/scenarios';

export const ROOT = path.resolve(__dirname, '..', '..');
export const COLLECTION_FILE = path.join(ROOT, 'collections', 'vbr-auth.postman_collection.json');
export const BIN = path.join(ROOT, 'bin', 'veeam-auth.js');

export type NockServer = {
  model: VbrModel;
  baseUrl: string;
  accounts: Account[];
  credentials: Credentials;
};

/** A simulated VBR server behind nock at a `.test` host. */
export function nockServer(
  scenario: ScenarioName = 'healthy',
  options: { baseUrl?: string; revisions?: string[]; accounts?: Account[] } = {},
): NockServer {
  const accounts = options.accounts ?? demoAccounts();
  const baseUrl = options.baseUrl ?? 'https://vbr.test:9419';
  const model = new VbrModel({ accounts, scenario, revisions: options.revisions });
  interceptSimulator(model, baseUrl);
  return {
    model,
    baseUrl,
    accounts,
    credentials: {
      serviceAccountUsername: accounts[0].username,
      serviceAccountPassword: accounts[0].password,
      mfaUsername: accounts[1].username,
      mfaPassword: accounts[1].password,
    },
  };
}

/** Runs the checks in-process against a nock server. */
export function runAgainst(
  server: NockServer,
  overrides: Partial<RunChecksOptions> & { collection?: CollectionFile } = {},
): Promise<Verdict> {
  return runChecks({
    collection: overrides.collection ?? loadCollection(COLLECTION_FILE),
    environment: {
      name: 'test',
      baseUrl: server.baseUrl,
      apiVersion: '1.3-rev2',
      values: [
        { key: 'baseUrl', value: server.baseUrl },
        { key: 'apiVersion', value: '1.3-rev2' },
      ],
    },
    credentials: server.credentials,
    timeoutRequestMs: 5_000,
    timeoutRunMs: 20_000,
    ...overrides,
  });
}

export type CliResult = { code: number; stdout: string; stderr: string };

export type InProcessOptions = {
  cwd?: string;
  isTty?: boolean;
  /** Runs while a long-running command (sim) serves; sees stdout so far. */
  untilStopped?: (stdout: () => string) => Promise<void>;
};

/** Runs the CLI in this process, capturing what it prints. */
export async function cli(argv: string[], where: string | InProcessOptions = ROOT): Promise<CliResult> {
  const options = typeof where === 'string' ? { cwd: where } : where;
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    cwd: options.cwd ?? ROOT,
    isTty: options.isTty ?? false,
    untilStopped: () => (options.untilStopped ? options.untilStopped(() => stdout) : Promise.resolve()),
  });
  return { code, stdout, stderr };
}

/** Runs the built CLI as its own process, as a user or CI would. */
export function cliProcess(
  argv: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...argv], {
      cwd: options.cwd ?? ROOT,
      env: options.env ?? cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** The process environment without any VBR_* credential variable. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('VBR_') && !key.startsWith('NODE_DEBUG')) env[key] = value;
  }
  return { ...env, ...extra };
}
