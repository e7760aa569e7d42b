import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

import { CREDENTIAL_VARIABLES } from '../../src/config/credentials';
import { serveSimulator, type SimulatorServer } from '../../src/simulator/https-face';
import type { Account } from '../../src/simulator/model';
import { ensureBuilt } from '../support/build';
import { ROOT, type CliResult } from '../support/harness';
import { basicOf, hostileCorpus, leaksOf } from './corpus';
import { filesUnder, FORM_VALUE, rawField, RecordingModel } from './support';

// 200 passwords, two per run (the service account's and the MFA user's).
// newman's script sandbox makes a run CPU-bound, so the runs call the built
// CLI's main() in two worker threads of this process, two runs at a time in
// each. Each run gets its own folder with a .env whose _FILE variables name
// files holding the passwords: no quoting can spell every one of them, and
// the runs share one process environment.
const CORPUS_SIZE = 200;
// Most runs use a revision older than the users API, which skips the two
// evidence requests and keeps the test within its time budget; every
// fourth run uses the latest, so that path is searched too.
const REVISIONS = ['1.3-rev2', '1.2-rev1', '1.2-rev1', '1.2-rev1'];
const THREADS = Math.min(2, availableParallelism());
const RUNS_PER_THREAD = 2;
const SEED = 0x5eed_2024;

// What each worker thread runs: the jobs it is given, through main().
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { main } = require(workerData.main);
(async () => {
  const results = [];
  let next = 0;
  const one = async () => {
    while (next < workerData.jobs.length) {
      const job = workerData.jobs[next++];
      let stdout = '';
      let stderr = '';
      const io = {
        stdout: (t) => { stdout += t; },
        stderr: (t) => { stderr += t; },
        cwd: job.cwd,
        untilStopped: () => Promise.resolve(),
      };
      const code = await main(job.argv, io);
      results.push({ index: job.index, code, stdout, stderr });
    }
  };
  await Promise.all(Array.from({ length: workerData.concurrency }, one));
  parentPort.postMessage(results);
})().catch((e) => parentPort.postMessage({ error: String((e && e.stack) || e) }));
`;

type Job = { index: number; cwd: string; argv: string[] };
type JobResult = CliResult & { index: number };

function runInThread(jobs: Job[], env: NodeJS.ProcessEnv): Promise<JobResult[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, {
      eval: true,
      env,
      workerData: { main: path.join(ROOT, 'dist', 'cli', 'main.js'), jobs, concurrency: RUNS_PER_THREAD },
    });
    worker.once('message', (message: JobResult[] | { error: string }) => {
      void worker.terminate();
      if ('error' in message) reject(new Error(message.error));
      else resolve(message);
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the worker thread exited (${code}) before it answered`)));
  });
}

type Run = {
  index: number;
  dir: string;
  inputs: Set<string>;
  service: Account;
  mfa: Account;
  result?: CliResult;
  produced?: { file: string; text: string }[];
};

const corpus = hostileCorpus(CORPUS_SIZE, SEED);
const runs: Run[] = [];
let model: RecordingModel;
let server: SimulatorServer;
let root: string;

function prepare(index: number): Run {
  const dir = path.join(root, `run-${String(index).padStart(3, '0')}`);
  mkdirSync(dir);
  const service: Account = {
    username: `svc-${index}`,
    password: corpus[2 * index],
    isServiceAccount: true,
    mfaEnabled: false,
    role: 'Backup Administrator',
  };
  const mfa: Account = {
    username: `mfa-${index}`,
    password: corpus[2 * index + 1],
    isServiceAccount: false,
    mfaEnabled: true,
    role: 'Backup Administrator',
  };

  const secret = (name: string, value: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, `${value}\n`, { mode: 0o600 });
    return file;
  };
  const files = {
    servicePassword: secret('service-password', service.password),
    mfaPassword: secret('mfa-password', mfa.password),
    // Every other run reads its user names from files too.
    serviceUsername: index % 2 === 0 ? secret('service-username', service.username) : null,
  };
  const lines = [
    files.serviceUsername
      ? `${CREDENTIAL_VARIABLES.serviceAccountUsername}_FILE=${JSON.stringify(files.serviceUsername)}`
      : `${CREDENTIAL_VARIABLES.serviceAccountUsername}=${service.username}`,
    `${CREDENTIAL_VARIABLES.serviceAccountPassword}_FILE=${JSON.stringify(files.servicePassword)}`,
    `${CREDENTIAL_VARIABLES.mfaUsername}='${mfa.username}'`,
    `${CREDENTIAL_VARIABLES.mfaPassword}=`,
    `${CREDENTIAL_VARIABLES.mfaPassword}_FILE=${JSON.stringify(files.mfaPassword)}`,
  ];
  writeFileSync(path.join(dir, '.env'), `${lines.join('\n')}\n`, { mode: 0o600 });
  copyFileSync(path.join(ROOT, '.env.example'), path.join(dir, '.env.example'));

  return { index, dir, inputs: new Set(readdirSync(dir).map((n) => path.join(dir, n))), service, mfa };
}

function jobOf(run: Run, environmentFiles: string[]): Job {
  const environmentFile = environmentFiles[run.index % environmentFiles.length];
  return {
    index: run.index,
    cwd: run.dir,
    argv: [
      'check',
      '--env', environmentFile,
      '--ca-cert', server.caFile,
      '--json', path.join(run.dir, 'verdict.json'),
    ],
  };
}

beforeAll(async () => {
  ensureBuilt();
  root = mkdtempSync(path.join(tmpdir(), 'veeam-auth-hostile-'));
  for (let i = 0; i < CORPUS_SIZE / 2; i += 1) runs.push(prepare(i));
  model = new RecordingModel({ accounts: runs.flatMap((r) => [r.service, r.mfa]) });
  server = await serveSimulator(model);
  const environmentFiles = REVISIONS.map((apiVersion, i) => {
    const file = path.join(root, `sim-${i}.postman_environment.json`);
    writeFileSync(
      file,
      JSON.stringify({
        name: `hostile passwords at ${apiVersion}`,
        values: [
          { key: 'baseUrl', value: server.baseUrl, type: 'default', enabled: true },
          { key: 'apiVersion', value: apiVersion, type: 'default', enabled: true },
        ],
      }),
    );
    return file;
  });

  // No credential from this process's environment; diagnostics on, so that
  // they are searched too.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('VBR_') && key !== 'NODE_DEBUG'),
  );
  env.NODE_DEBUG = 'veeam-auth:*';
  const jobs = runs.map((run) => jobOf(run, environmentFiles));
  const shares = Array.from({ length: THREADS }, (_, t) => jobs.filter((_job, i) => i % THREADS === t));
  const results = (await Promise.all(shares.map((share) => runInThread(share, env)))).flat();
  for (const result of results) {
    const run = runs[result.index];
    run.result = result;
    run.produced = filesUnder(run.dir, run.inputs);
  }
}, 180_000);

afterAll(async () => {
  await server?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('the CLI against accounts with hostile passwords', () => {
  it('holds a corpus of distinct passwords with every troublesome character', () => {
    const joined = corpus.join('');

    expect(new Set(corpus).size).toBe(CORPUS_SIZE);
    for (const c of ['&', '+', '%', '#', '=', ';', '"', "'", '\\', ' ', 'é', '😀']) expect(joined).toContain(c);
    expect(corpus.filter((p) => p.startsWith(' ')).length).toBeGreaterThan(40);
    expect(corpus.filter((p) => p.endsWith(' ')).length).toBeGreaterThan(40);
    expect(Math.max(...corpus.map((p) => p.length))).toBeGreaterThanOrEqual(1000);
  });

  it('passes every run, so every service account got its token with its password', () => {
    const failed = runs.filter((r) => r.result?.code !== 0).map((r) => ({ run: r.index, ...r.result }));

    const verdicts = runs.map((r) => JSON.parse(readFileSync(path.join(r.dir, 'verdict.json'), 'utf8')));

    expect(failed).toEqual([]);
    expect(verdicts.filter((v) => v.passed !== true)).toEqual([]);
  });

  it('delivers every password byte-exact in a properly form-encoded body', () => {
    const problems: string[] = [];

    for (const run of runs) {
      for (const account of [run.service, run.mfa]) {
        const bodies = model.tokenBodies.filter(
          (b) => new URLSearchParams(b.raw).get('username') === account.username &&
            new URLSearchParams(b.raw).get('grant_type') === 'password' &&
            !rawField(b.raw, 'password')?.startsWith('not-the-password-'),
        );
        if (bodies.length === 0) problems.push(`${account.username}: no token request arrived`);
        for (const body of bodies) {
          const raw = rawField(body.raw, 'password') ?? '';
          const decoded = new URLSearchParams(body.raw).get('password') ?? '';
          if (body.fields.length !== 3) problems.push(`${account.username}: ${body.fields.length} fields, not 3`);
          if (!FORM_VALUE.test(raw)) problems.push(`${account.username}: the password is not form-encoded`);
          if (!Buffer.from(decoded, 'utf8').equals(Buffer.from(account.password, 'utf8'))) {
            problems.push(`${account.username}: the password arrived changed`);
          }
        }
      }
    }

    expect(problems).toEqual([]);
  });

  it("proves the MFA users' passwords worked: the server accepted each before refusing a token", () => {
    const messages = model.log.map((entry) => entry.message);

    const refusedAfterPassword = runs.filter((r) => messages.includes(`Authenticated user: [.\\${r.mfa.username}]`));

    expect(refusedAfterPassword.length).toBe(runs.length);
  });

  it('leaves no credential or token in any stream or file a run produced, in any encoding', () => {
    const tokens = [...model.issuedTokens];
    const leaks: string[] = [];

    for (const run of runs) {
      const outputs = [
        { where: 'stdout', text: run.result?.stdout ?? '' },
        { where: 'stderr', text: run.result?.stderr ?? '' },
        ...(run.produced ?? []).map((p) => ({ where: path.relative(root, p.file), text: p.text })),
      ];
      const own = [run.service.username, run.service.password, run.mfa.username, run.mfa.password];
      const extra: Record<string, string>[] = [
        {},
        { basic: basicOf(run.service.username, run.service.password) },
        {},
        { basic: basicOf(run.mfa.username, run.mfa.password) },
      ];
      for (const { where, text } of outputs) {
        for (const leak of leaksOf(text, own, extra, { start: true })) leaks.push(`run ${run.index} ${where}: credential ${leak.secret} as ${leak.spelling}`);
      }
    }
    const everything = runs
      .flatMap((r) => [r.result?.stdout ?? '', r.result?.stderr ?? '', ...(r.produced ?? []).map((p) => p.text)])
      .join('\n');
    for (const leak of leaksOf(everything, corpus, [], { start: true })) leaks.push(`corpus password ${leak.secret} as ${leak.spelling}`);
    for (const leak of leaksOf(everything, tokens)) leaks.push(`token ${leak.secret} as ${leak.spelling}`);

    expect(tokens.length).toBeGreaterThanOrEqual(runs.length);
    expect(everything).toContain('VEEAM-AUTH:RUN');
    expect(leaks).toEqual([]);
  });

  it('writes only the verdict it was asked for, and no temporary file', () => {
    const produced = runs.map((r) => (r.produced ?? []).map((p) => path.basename(p.file)));

    expect(produced.filter((names) => names.join() !== 'verdict.json')).toEqual([]);
  });
});
