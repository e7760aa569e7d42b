import { copyFileSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { CHECK_IDS } from '../../src/checks';
import { loadCollection } from '../../src/config/collection';
import { startSimulator, type RunningSimulator } from '../../src/simulator/start';
import { credentialEnv, setProcessEnv, tempDir } from '../support/fixtures';
import { cli, COLLECTION_FILE, ROOT } from '../support/harness';

const STACK_LINE = /^\s+at .+\(.+:\d+:\d+\)$/m;

describe('veeam-auth check against the built-in simulator', () => {
  it('exits 0 and shows the service account got 200 and the MFA user 401', async () => {
    const argv = ['check'];

    const result = await cli(argv);

    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^ {2}PASS {2}service-account-token +200 /m);
    expect(result.stdout).toMatch(/^ {2}PASS {2}mfa-user-refused +401 AccessDenied /m);
    expect(result.stdout).toMatch(/^target https:\/\/127\.0\.0\.1:\d+, x-api-version 1\.3-rev2$/m);
    expect(result.stdout).toMatch(/^6 passed, 0 failed$/m);
  });

  it('exits 1 naming mfa-user-refused when MFA users get tokens', async () => {
    const argv = ['check', '--scenario', 'mfa-bypass'];

    const result = await cli(argv);

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^ {2}FAIL {2}mfa-user-refused +200 /m);
    expect(result.stdout).toContain('MFA user gets 401: status: expected 200 to equal 401');
    expect(result.stdout).toMatch(/^5 passed, 1 failed: mfa-user-refused$/m);
  });

  it('exits 1 naming service-account-token when the service account is refused', async () => {
    const argv = ['check', '--scenario', 'service-account-refused'];

    const result = await cli(argv);

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^ {2}FAIL {2}service-account-token +401 AccessDenied /m);
    expect(result.stdout).toMatch(/^ {2}VOID {2}mfa-user-refused +401 AccessDenied /m);
    expect(result.stdout).toContain(
      'not counted: service-account-token did not pass in this run, so this result proves nothing',
    );
    expect(result.stdout).toMatch(/^0 passed, 1 failed, 5 not counted: service-account-token, /m);
  });

  it('writes the verdict with all six checks to the --json file', async () => {
    const tmp = tempDir();
    const file = path.join(tmp.dir, 'verdict.json');

    const result = await cli(['check', '--json', file]);

    try {
      expect(result.code).toBe(0);
      const verdict = JSON.parse(readFileSync(file, 'utf8'));
      const shipped = loadCollection(COLLECTION_FILE);
      expect(verdict).toMatchObject({
        passed: true,
        collection: { name: shipped.name, version: shipped.version },
        target: expect.stringMatching(/^https:\/\/127\.0\.0\.1:\d+$/),
        apiVersion: '1.3-rev2',
      });
      expect(verdict.checks.map((c: { id: string }) => c.id)).toEqual([...CHECK_IDS]);
      for (const check of verdict.checks) {
        expect(check).toEqual(
          expect.objectContaining({
            id: expect.any(String),
            passed: true,
            status: expect.any(Number),
            reason: 'as expected',
          }),
        );
        expect(check).toHaveProperty('errorCode');
      }
      expect(verdict.checks[0]).toMatchObject({ status: 200, errorCode: null });
      expect(verdict.checks[2]).toMatchObject({ status: 401, errorCode: 'AccessDenied' });
    } finally {
      tmp.remove();
    }
  });

  it('writes a failing verdict to --json when a check fails', async () => {
    const tmp = tempDir();
    const file = path.join(tmp.dir, 'verdict.json');

    const result = await cli(['check', '--scenario', 'logout-keeps-token', '--json', file]);

    try {
      expect(result.code).toBe(1);
      const verdict = JSON.parse(readFileSync(file, 'utf8'));
      expect(verdict.passed).toBe(false);
      const logout = verdict.checks.find(
        (c: { id: string }) => c.id === 'logout-revokes-token',
      );
      expect(logout).toMatchObject({
        passed: false,
        status: 200,
        errorCode: null,
        reason: 'old token gets 401 after logout: status: expected 200 to equal 401',
      });
    } finally {
      tmp.remove();
    }
  });

  it('refuses the simulator as untrusted when --ca-cert names another CA', async () => {
    const other = await startSimulator({ port: 0 });

    const result = await cli(['check', '--ca-cert', other.caFile]).finally(() =>
      other.close(),
    );

    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/^error: .*certificate.*trust.*\n {2}hint: .+\n$/);
    expect(result.stdout).toMatch(/^ {2}NONE {2}service-account-token +--- /m);
  });
});

describe('veeam-auth check --env against a simulator on loopback', () => {
  let simulator: RunningSimulator;
  let cwd: { dir: string; remove: () => void };
  let restoreEnv: () => void;

  beforeEach(async () => {
    simulator = await startSimulator({ port: 0 });
    cwd = tempDir();
    copyFileSync(path.join(ROOT, '.env.example'), path.join(cwd.dir, '.env.example'));
    restoreEnv = setProcessEnv(credentialEnv(simulator.credentials));
  });

  afterEach(async () => {
    restoreEnv();
    cwd.remove();
    await simulator.close();
  });

  it('passes when the CA that signed the server is given', async () => {
    const argv = [
      'check',
      '--env',
      simulator.environmentFile,
      '--ca-cert',
      simulator.caFile,
    ];

    const result = await cli(argv, cwd.dir);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`target ${simulator.baseUrl}, x-api-version 1.3-rev2`);
    expect(result.stdout).toMatch(/^6 passed, 0 failed$/m);
  });

  it('exits 5 with the host and a hint when run without its CA', async () => {
    const argv = ['check', '--env', simulator.environmentFile];

    const result = await cli(argv, cwd.dir);

    expect(result.code).toBe(5);
    const [first, second, ...rest] = result.stderr.split('\n');
    expect(first).toMatch(/^error: /);
    expect(first).toContain(`127.0.0.1:${simulator.port}`);
    expect(first).toMatch(/certificate.*trust/);
    expect(second).toMatch(/^ {2}hint: /);
    expect(rest).toEqual(['']);
    expect(result.stderr).not.toMatch(STACK_LINE);
  });

  it('refuses --scenario together with --env as a usage error', async () => {
    const argv = ['check', '--env', simulator.environmentFile, '--scenario', 'mfa-bypass'];

    const result = await cli(argv, cwd.dir);

    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'error: --scenario applies to the built-in simulator, not to a server given with --env\n' +
        '  hint: drop --scenario, or drop --env to use the simulator\n',
    );
  });
});

describe('veeam-auth usage errors', () => {
  it('exits 2 on an unknown flag with an error line and no stack trace', async () => {
    const argv = ['check', '--no-such-flag'];

    const result = await cli(argv);

    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      "error: unknown option '--no-such-flag'\n" +
        '  hint: run veeam-auth --help for the commands and flags\n',
    );
  });

  it('exits 2 on an unknown scenario, listing the choices', async () => {
    const argv = ['check', '--scenario', 'no-such-scenario'];

    const result = await cli(argv);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^error: option '--scenario <name>' argument 'no-such-scenario' is invalid/,
    );
    expect(result.stderr).toContain('mfa-bypass');
    expect(result.stderr).not.toMatch(STACK_LINE);
  });

  it('exits 2 on a timeout that is not a whole number of milliseconds', async () => {
    const argv = ['check', '--timeout-request', '1.5s'];

    const result = await cli(argv);

    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'error: --timeout-request takes a whole number of milliseconds, got "1.5s"\n' +
        '  hint: for example --timeout-request 15000\n',
    );
  });

  it('exits 3 when the --json folder does not exist, before running anything', async () => {
    const tmp = tempDir();
    const file = path.join(tmp.dir, 'missing', 'verdict.json');

    const result = await cli(['check', '--json', file]);

    tmp.remove();
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /^error: --json .+verdict\.json: folder .+missing does not exist\n/,
    );
  });
});
