import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

import { main } from '../../src/cli/main';
import { ROOT } from '../support/harness';
import { leaksOf } from './corpus';

type EnvironmentJson = { values: { key: string; value: string; type?: string }[] };

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? sourceFiles(file) : file.endsWith('.ts') ? [file] : [];
  });
}

describe('veeam-auth sim', () => {
  it('prints a newman command that reads the credentials from an environment file, never from flags', async () => {
    let stdout = '';
    let stop = () => {};
    let printed = () => {};
    const isPrinted = new Promise<void>((resolve) => (printed = resolve));
    const running = main(['sim', '--port', '0'], {
      stdout: (t) => (stdout += t),
      stderr: () => undefined,
      cwd: ROOT,
      untilStopped: () => {
        printed();
        return new Promise<void>((resolve) => (stop = resolve));
      },
    });
    await isPrinted;
    const command = stdout.split('\n').find((line) => line.trim().startsWith('npx newman run')) ?? '';
    const environmentFile = /\s-e\s+(\S+)/.exec(command)?.[1] ?? '';
    const environment = JSON.parse(readFileSync(environmentFile, 'utf8')) as EnvironmentJson;
    const mode = statSync(environmentFile).mode & 0o777;

    const secrets = environment.values.filter((v) => v.type === 'secret').map((v) => v.value);
    stop();
    const code = await running;

    expect(command).toMatch(/^ {2}npx newman run \S+ -e \S+ --ssl-extra-ca-certs \S+$/);
    expect(command).not.toMatch(/--env-var|--global-var|--globals/);
    expect(secrets).toHaveLength(4);
    expect(secrets.every((s) => s.length > 0)).toBe(true);
    expect(leaksOf(command, secrets)).toEqual([]);
    expect(mode).toBe(0o600);
    expect(code).toBe(0);
  });
});

describe('the harness source', () => {
  it('starts no process and builds no --env-var flag, so no secret reaches a command line', () => {
    const files = sourceFiles(path.join(ROOT, 'src'));

    const offenders = files.filter((file) =>
      /\bchild_process\b|--env-var|--global-var/.test(readFileSync(file, 'utf8')),
    );

    expect(files.length).toBeGreaterThan(0);
    expect(offenders.map((f) => path.relative(ROOT, f))).toEqual([]);
  });
});
