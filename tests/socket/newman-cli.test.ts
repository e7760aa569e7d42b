import { spawn } from 'node:child_process';
import path from 'node:path';

import { startSimulator, type RunningSimulator } from '../../src/simulator/start';
import type { ScenarioName } from '../../src/simulator/scenarios';
import { cleanEnv, COLLECTION_FILE, ROOT, type CliResult } from '../support/harness';

const NEWMAN = path.join(ROOT, 'node_modules', '.bin', 'newman');

/** Runs the plain newman CLI the way the `sim` command tells a user to. */
function newmanRun(simulator: RunningSimulator): Promise<CliResult> {
  const argv = [
    NEWMAN,
    'run',
    COLLECTION_FILE,
    '-e',
    simulator.environmentFile,
    '--ssl-extra-ca-certs',
    simulator.caFile,
    '--timeout-request',
    '5000',
    '--color',
    'off',
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, {
      cwd: ROOT,
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

describe('the collection run by the newman CLI against the simulator', () => {
  let simulator: RunningSimulator | undefined;

  afterEach(async () => {
    await simulator?.close();
    simulator = undefined;
  });

  async function start(scenario: ScenarioName): Promise<RunningSimulator> {
    simulator = await startSimulator({ port: 0, scenario });
    return simulator;
  }

  it('passes every pm.test with the environment and CA the simulator wrote', async () => {
    const server = await start('healthy');

    const result = await newmanRun(server);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('MFA user gets 401');
    expect(result.stdout).not.toMatch(/AssertionError/);
  });

  it('exits non-zero when the simulator gives MFA users tokens', async () => {
    const server = await start('mfa-bypass');

    const result = await newmanRun(server);

    expect(result.code).not.toBe(0);
    expect(result.stdout).toMatch(/AssertionError\s+MFA user gets 401/);
  });
});
