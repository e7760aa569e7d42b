import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { startSimulator, type RunningSimulator } from '../../src/simulator/start';
import { ensureBuilt } from '../support/build';
import { credentialEnv, tempDir } from '../support/fixtures';
import { cleanEnv, cliProcess, ROOT } from '../support/harness';

// dotenv-safe writes what it reads into process.env, so these runs get a
// process of their own with a working directory made for the test.
describe('veeam-auth check --env as its own process', () => {
  let simulator: RunningSimulator;
  let cwd: { dir: string; remove: () => void };

  beforeAll(() => {
    ensureBuilt();
  }, 60_000);

  beforeEach(async () => {
    simulator = await startSimulator({ port: 0 });
    cwd = tempDir();
    copyFileSync(path.join(ROOT, '.env.example'), path.join(cwd.dir, '.env.example'));
  });

  afterEach(async () => {
    cwd.remove();
    await simulator.close();
  });

  it('exits 3 naming VBR_MFA_PASSWORD when .env lacks it', async () => {
    const { credentials } = simulator;
    writeFileSync(
      path.join(cwd.dir, '.env'),
      [
        `VBR_SERVICE_ACCOUNT_USERNAME=${credentials.serviceAccountUsername}`,
        `VBR_SERVICE_ACCOUNT_PASSWORD='${credentials.serviceAccountPassword}'`,
        `VBR_MFA_USERNAME=${credentials.mfaUsername}`,
        '',
      ].join('\n'),
    );

    const result = await cliProcess(['check', '--env', simulator.environmentFile], {
      cwd: cwd.dir,
    });

    expect(result.code).toBe(3);
    expect(result.stdout).toBe('');
    const [first, second] = result.stderr.split('\n');
    expect(first).toMatch(/^error: .*VBR_MFA_PASSWORD/);
    expect(first).not.toMatch(/VBR_SERVICE_ACCOUNT|VBR_MFA_USERNAME/);
    expect(second).toMatch(/^ {2}hint: /);
    expect(result.stderr).not.toContain(credentials.serviceAccountPassword);
    expect(simulator.model.log).toEqual([]);
  });

  it('passes with the credentials in its environment and the CA given', async () => {
    const env = cleanEnv(credentialEnv(simulator.credentials));

    const result = await cliProcess(
      ['check', '--env', simulator.environmentFile, '--ca-cert', simulator.caFile],
      { cwd: cwd.dir, env },
    );

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ {2}PASS {2}mfa-user-refused +401 AccessDenied /m);
    expect(result.stdout).toMatch(/^6 passed, 0 failed$/m);
    expect(result.stdout).not.toContain(simulator.credentials.mfaPassword);
  });
});
