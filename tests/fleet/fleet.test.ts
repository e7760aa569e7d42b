import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { startSimulator, type RunningSimulator } from '../../src/simulator/start';
import { closedPort, setProcessEnv, tempDir } from '../support/fixtures';
import { cli } from '../support/harness';

type Member = { name: string; server?: RunningSimulator; baseUrl?: string };

/** Writes a targets file for `members`; credentials go to process.env under per-server names. */
function fleetFiles(dir: string, members: Member[], concurrency = 4): { targets: string; restore: () => void } {
  const env: Record<string, string> = {};
  const targets = members.map((member, i) => {
    const prefix = `FLEET${i}_`;
    const credentials = member.server?.credentials ?? {
      serviceAccountUsername: 'svc',
      serviceAccountPassword: 'unused-password',
      mfaUsername: 'mfa',
      mfaPassword: 'unused-password',
    };
    env[`${prefix}SVC_USER`] = credentials.serviceAccountUsername;
    env[`${prefix}SVC_PASSWORD`] = credentials.serviceAccountPassword;
    env[`${prefix}MFA_USER`] = credentials.mfaUsername;
    env[`${prefix}MFA_PASSWORD`] = credentials.mfaPassword;

    const envFile = path.join(dir, `${member.name}.postman_environment.json`);
    writeFileSync(envFile, JSON.stringify({
      name: member.name,
      values: [
        { key: 'baseUrl', value: member.server?.baseUrl ?? member.baseUrl },
        { key: 'apiVersion', value: '1.3-rev2' },
      ],
    }));
    return {
      name: member.name,
      env: path.basename(envFile),
      ...(member.server ? { caCert: member.server.caFile } : {}),
      credentials: {
        serviceAccountUsername: `${prefix}SVC_USER`,
        serviceAccountPassword: `${prefix}SVC_PASSWORD`,
        mfaUsername: `${prefix}MFA_USER`,
        mfaPassword: `${prefix}MFA_PASSWORD`,
      },
    };
  });

  const targetsFile = path.join(dir, 'targets.json');
  writeFileSync(targetsFile, JSON.stringify({ concurrency, targets }));
  return { targets: targetsFile, restore: setProcessEnv(env) };
}

describe('veeam-auth check --targets', () => {
  const servers: RunningSimulator[] = [];
  let scratch: ReturnType<typeof tempDir>;

  beforeEach(() => {
    scratch = tempDir();
  });

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
    scratch.remove();
  });

  async function simulator(options: Parameters<typeof startSimulator>[0] = {}): Promise<RunningSimulator> {
    const server = await startSimulator({ port: 0, ...options });
    servers.push(server);
    return server;
  }

  it('gives each server its own verdict and a summary line', async () => {
    const members: Member[] = [
      { name: 'healthy', server: await simulator() },
      { name: 'bypassed', server: await simulator({ scenario: 'mfa-bypass' }) },
      { name: 'dead', baseUrl: `https://127.0.0.1:${await closedPort()}` },
    ];
    const { targets, restore } = fleetFiles(scratch.dir, members);
    const report = path.join(scratch.dir, 'fleet.json');

    const result = await cli(['check', '--targets', targets, '--json', report]).finally(restore);

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/PASS {2}healthy .* 6\/6 checks\n/);
    expect(result.stdout).toMatch(/FAIL {2}bypassed .* 5\/6 checks; failed: mfa-user-refused\n/);
    expect(result.stdout).toMatch(/NONE {2}dead .* refused the connection \(ECONNREFUSED\)\n/);
    expect(result.stdout).toContain('3 servers: 1 passed, 1 failed, 1 unreachable');
    const json = JSON.parse(readFileSync(report, 'utf8'));
    expect(json.passed).toBe(false);
    expect(json.servers.map((s: { name: string; passed: boolean }) => [s.name, s.passed])).toEqual([
      ['healthy', true],
      ['bypassed', false],
      ['dead', false],
    ]);
  });

  it('does not let a stalled server hold up or fail the others', async () => {
    const members: Member[] = [
      { name: 'stalled', server: await simulator({ fault: 'stall' }) },
      { name: 'first', server: await simulator() },
      { name: 'second', server: await simulator() },
    ];
    const { targets, restore } = fleetFiles(scratch.dir, members, 2);

    const result = await cli(['check', '--targets', targets, '--timeout-request', '300']).finally(restore);

    expect(result.stdout).toMatch(/PASS {2}first /);
    expect(result.stdout).toMatch(/PASS {2}second /);
    expect(result.stdout).toMatch(/NONE {2}stalled .*sent nothing within 300 ms/);
    expect(result.code).toBe(4);
  });

  it('exits 0 when every server holds every expectation', async () => {
    const members: Member[] = [
      { name: 'a', server: await simulator() },
      { name: 'b', server: await simulator() },
    ];
    const { targets, restore } = fleetFiles(scratch.dir, members);

    const result = await cli(['check', '--targets', targets]).finally(restore);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('2 servers: 2 passed, 0 failed, 0 unreachable');
  });

  it('stops before any request when one server lacks a credential variable', async () => {
    const healthy = await simulator();
    const { targets, restore } = fleetFiles(scratch.dir, [{ name: 'a', server: healthy }, { name: 'b', server: await simulator() }]);
    delete process.env.FLEET1_MFA_PASSWORD;

    const result = await cli(['check', '--targets', targets]).finally(restore);

    expect(result.code).toBe(3);
    expect(result.stderr.split('\n')[0]).toBe('error: target b: missing or empty credential variable: FLEET1_MFA_PASSWORD');
    expect(healthy.model.tokenRequests).toHaveLength(0);
  });

  it.each([
    ['an empty target list', { targets: [] }, /"targets" must be a non-empty list/],
    ['a target without an environment', { targets: [{ name: 'x' }] }, /target x has no "env" file/],
    ['two targets with one name', { targets: [{ name: 'x', env: 'a.json' }, { name: 'x', env: 'b.json' }] }, /two targets are named x/],
    ['a credential naming no variable', { targets: [{ name: 'x', env: 'a.json', credentials: { mfaPassword: 'not a name' } }] }, /credentials\.mfaPassword must name an environment variable/],
  ])('refuses %s with exit 3', async (_what, content, message) => {
    const file = path.join(scratch.dir, 'targets.json');
    writeFileSync(file, JSON.stringify(content));

    const result = await cli(['check', '--targets', file]);

    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(message);
  });

  it('refuses --targets together with --env', async () => {
    const result = await cli(['check', '--targets', 't.json', '--env', 'e.json']);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: --targets cannot be combined with --env/);
  });
});
