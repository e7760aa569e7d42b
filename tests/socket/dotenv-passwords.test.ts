import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { demoAccounts } from '../../src/simulator/model';
import { startSimulator } from '../../src/simulator/start';
import { ensureBuilt } from '../support/build';
import { tempDir } from '../support/fixtures';
import { cleanEnv, cliProcess, ROOT } from '../support/harness';

// The path a backup admin takes: passwords typed into .env, quoted as the
// README says, read by the CLI in a process of its own.
describe('passwords from a quoted .env', () => {
  beforeAll(() => {
    ensureBuilt();
  }, 60_000);

  it.each([
    ['&, +, # and =', 'a&b+c#d=e', "'a&b+c#d=e'"],
    ['double quotes and a backslash', 'say "hi"\\now', `'say "hi"\\now'`],
    ['leading and trailing spaces', '  spaced out  ', "'  spaced out  '"],
    ['percent signs and non-ASCII', '100%-sûr-Ünïcødé', "'100%-sûr-Ünïcødé'"],
  ])('reach the server as typed when they hold %s', async (_what, password, quoted) => {
    const [service, mfa] = demoAccounts();
    service.password = password;
    mfa.password = `mfa-${password}`;
    const simulator = await startSimulator({ port: 0, accounts: [service, mfa] });
    const cwd = tempDir();
    copyFileSync(path.join(ROOT, '.env.example'), path.join(cwd.dir, '.env.example'));
    writeFileSync(
      path.join(cwd.dir, '.env'),
      [
        `VBR_SERVICE_ACCOUNT_USERNAME=${service.username}`,
        `VBR_SERVICE_ACCOUNT_PASSWORD=${quoted}`,
        `VBR_MFA_USERNAME=${mfa.username}`,
        `VBR_MFA_PASSWORD='mfa-${quoted.slice(1)}`,
        '',
      ].join('\n'),
    );

    const result = await cliProcess(
      ['check', '--env', simulator.environmentFile, '--ca-cert', simulator.caFile],
      { cwd: cwd.dir, env: cleanEnv() },
    ).finally(async () => {
      cwd.remove();
      await simulator.close();
    });

    expect(result.stdout).toMatch(/^6 passed, 0 failed$/m);
    expect(result.code).toBe(0);
    expect(simulator.model.tokenRequests.filter((r) => r.isPasswordRight).map((r) => r.username)).toContain(mfa.username);
    expect(result.stdout + result.stderr).not.toContain(password);
  });
});
