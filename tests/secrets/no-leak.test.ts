import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { serveSimulator, type SimulatorServer } from '../../src/simulator/https-face';
import type { Account } from '../../src/simulator/model';
import type { ScenarioName } from '../../src/simulator/scenarios';
import { ensureBuilt } from '../support/build';
import { cleanEnv, cliProcess, COLLECTION_FILE, ROOT, type CliResult } from '../support/harness';
import { basicOf, hostileCorpus, leaksOf } from './corpus';
import { filesUnder, RecordingModel } from './support';

type Target = { model: RecordingModel; server: SimulatorServer; environmentFile: string };

type Outcome = { result: CliResult; written: { file: string; text: string }[] };

const [servicePassword, mfaPassword] = hostileCorpus(2, 424242);
const accounts: Account[] = [
  { username: 'svc-known-secret', password: servicePassword, isServiceAccount: true, mfaEnabled: false, role: 'Backup Administrator' },
  { username: 'mfa-known-secret', password: mfaPassword, isServiceAccount: false, mfaEnabled: true, role: 'Backup Administrator' },
];

let root: string;
const targets: Target[] = [];

async function target(scenario: ScenarioName): Promise<Target> {
  const model = new RecordingModel({ accounts, scenario });
  const server = await serveSimulator(model);
  const environmentFile = path.join(root, `${scenario}.postman_environment.json`);
  writeFileSync(
    environmentFile,
    JSON.stringify({
      name: scenario,
      values: [
        { key: 'baseUrl', value: server.baseUrl, type: 'default', enabled: true },
        { key: 'apiVersion', value: '1.3-rev2', type: 'default', enabled: true },
      ],
    }),
  );
  const created = { model, server, environmentFile };
  targets.push(created);
  return created;
}

/**
 * Runs the built CLI as its own process, with NODE_DEBUG on and a private
 * TMPDIR, and collects everything it wrote there and in its folder.
 */
async function runCli(name: string, at: Target, flags: string[]): Promise<Outcome> {
  const cwd = path.join(root, name);
  const temporary = path.join(cwd, 'tmp');
  mkdirSync(temporary, { recursive: true });
  copyFileSync(path.join(ROOT, '.env.example'), path.join(cwd, '.env.example'));
  const passwordFile = path.join(root, `${name}.mfa-password`);
  writeFileSync(passwordFile, `${mfaPassword}\n`, { mode: 0o600 });
  const inputs = new Set([path.join(cwd, '.env.example')]);

  const result = await cliProcess(
    ['check', '--env', at.environmentFile, '--ca-cert', at.server.caFile, '--verbose', ...flags],
    {
      cwd,
      timeoutMs: 60_000,
      env: cleanEnv({
        NODE_DEBUG: 'veeam-auth:*',
        TMPDIR: temporary,
        VBR_SERVICE_ACCOUNT_USERNAME: accounts[0].username,
        VBR_SERVICE_ACCOUNT_PASSWORD: servicePassword,
        VBR_MFA_USERNAME: accounts[1].username,
        VBR_MFA_PASSWORD_FILE: passwordFile,
      }),
    },
  );
  return { result, written: filesUnder(cwd, inputs) };
}

function leaksIn(outcome: Outcome, model: RecordingModel): string[] {
  // User names are not secret (the server's own log prints them, and the
  // verdict must name who was refused); passwords and tokens are.
  const credentials = [servicePassword, mfaPassword];
  const extra: Record<string, string>[] = [
    {},
    { basic: basicOf(accounts[0].username, servicePassword) },
    {},
    { basic: basicOf(accounts[1].username, mfaPassword) },
  ];
  const places = [
    { where: 'stdout', text: outcome.result.stdout },
    { where: 'stderr', text: outcome.result.stderr },
    ...outcome.written.map((w) => ({ where: path.relative(root, w.file), text: w.text })),
  ];
  const tokens = [...model.issuedTokens];
  return places.flatMap(({ where, text }) => [
    ...leaksOf(text, credentials, extra, { start: true }).map((l) => `${where}: credential ${l.secret} as ${l.spelling} at ${l.at}`),
    ...leaksOf(text, tokens).map((l) => `${where}: token ${l.secret} as ${l.spelling} at ${l.at}`),
  ]);
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(() => {
  ensureBuilt();
  root = mkdtempSync(path.join(tmpdir(), 'veeam-auth-noleak-'));
});

afterAll(async () => {
  for (const t of targets) await t.server.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('a run of the CLI process with known secrets and NODE_DEBUG=veeam-auth:*', () => {
  it('prints and writes none of them when every check passes', async () => {
    const at = await target('healthy');
    const reports = ['verdict.json', 'junit.xml', 'report.html', 'baseline.json'];

    const outcome = await runCli('healthy', at, [
      '--json', 'verdict.json',
      '--junit', 'junit.xml',
      '--html', 'report.html',
      '--save-baseline', 'baseline.json',
    ]);

    expect(outcome.result.code).toBe(0);
    expect(outcome.result.stderr).toContain('VEEAM-AUTH:RUN');
    expect(reports.filter((r) => !existsSync(path.join(root, 'healthy', r)))).toEqual([]);
    expect(at.model.issuedTokens.size).toBeGreaterThan(0);
    expect(leaksIn(outcome, at.model)).toEqual([]);
  });

  it('prints and writes none of them when the MFA user gets tokens and checks fail, over two revisions', async () => {
    const at = await target('mfa-bypass');

    const outcome = await runCli('mfa-bypass', at, [
      '--revisions', '1.3-rev1,1.3-rev2',
      '--json', 'verdict.json',
      '--junit', 'junit.xml',
      '--html', 'report.html',
    ]);

    expect(outcome.result.code).toBe(1);
    expect(outcome.result.stderr).toContain('VEEAM-AUTH:');
    expect(outcome.written.map((w) => path.basename(w.file)).sort()).toEqual(['junit.xml', 'report.html', 'verdict.json']);
    expect(leaksIn(outcome, at.model)).toEqual([]);
  });

  it('masks them where a collection script puts them in assertion messages, whole or cut short by chai', async () => {
    const at = await target('healthy');
    const collection = JSON.parse(readFileSync(COLLECTION_FILE, 'utf8'));
    const echo = (check: string, expression: string) => {
      const request = collection.item.find((f: { name: string }) => f.name === check).item[0];
      request.event.find((e: { listen: string }) => e.listen === 'test').script.exec.push(
        `pm.test('echoes a secret', function () { pm.expect(${expression}).to.equal('x'); });`,
      );
    };
    echo('mfa-user-refused', "pm.variables.get('mfaPassword') + ' ' + pm.collectionVariables.get('accessToken')");
    echo('wrong-password-refused', "pm.variables.get('serviceAccountPassword')");
    const collectionFile = path.join(root, 'leaky.postman_collection.json');
    writeFileSync(collectionFile, JSON.stringify(collection));

    const outcome = await runCli('leaky', at, ['--collection', collectionFile, '--json', 'verdict.json', '--junit', 'junit.xml']);

    expect(outcome.result.code).toBe(1);
    expect(outcome.result.stdout).toContain("echoes a secret: expected '[REDACTED]…' to equal 'x'");
    expect(outcome.result.stdout).toContain("echoes a secret: expected '[REDACTED]' to equal 'x'");
    expect(leaksIn(outcome, at.model)).toEqual([]);
  });

  it('prints none of them when no server answers, stack traces on', async () => {
    const at = await target('healthy');
    const port = await closedPort();
    const environmentFile = path.join(root, 'closed.postman_environment.json');
    writeFileSync(
      environmentFile,
      JSON.stringify({ name: 'closed', values: [{ key: 'baseUrl', value: `https://127.0.0.1:${port}` }, { key: 'apiVersion', value: '1.3-rev2' }] }),
    );

    const outcome = await runCli('closed', { ...at, environmentFile }, ['--json', 'verdict.json']);

    expect(outcome.result.code).toBe(4);
    expect(outcome.result.stderr).toContain('refused the connection');
    expect(leaksIn(outcome, at.model)).toEqual([]);
  });
});
