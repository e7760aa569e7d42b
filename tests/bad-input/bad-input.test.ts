import { copyFileSync, existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { CREDENTIAL_VARIABLES, loadCredentials } from '../../src/config/credentials';
import { cli, cliProcess, cleanEnv, COLLECTION_FILE, ROOT } from '../support/harness';

function scratch(): string {
  return mkdtempSync(path.join(tmpdir(), 'veeam-auth-bad-input-'));
}

function environmentFile(dir: string, values: Record<string, string>, name = 'env.json'): string {
  const file = path.join(dir, name);
  writeFileSync(
    file,
    JSON.stringify({
      name: 'test',
      values: Object.entries(values).map(([key, value]) => ({ key, value, enabled: true })),
    }),
  );
  return file;
}

function expectCleanError(result: { stderr: string }, firstLine: RegExp): void {
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(firstLine);
  expect(lines[1]).toMatch(/^ {2}hint: /);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

describe('veeam-auth check with a bad collection', () => {
  it('names a missing collection file and exits 3', async () => {
    const result = await cli(['check', '--collection', 'no/such.postman_collection.json']);

    expect(result.code).toBe(3);
    expectCleanError(result, /collection file .*no\/such\.postman_collection\.json: no such file/);
  });

  it('names a collection that is not JSON and exits 3', async () => {
    const dir = scratch();
    const file = path.join(dir, 'broken.postman_collection.json');
    writeFileSync(file, '{ "info": ');

    const result = await cli(['check', '--collection', file]);

    expect(result.code).toBe(3);
    expectCleanError(result, /is not valid JSON/);
  });

  it('refuses a collection of schema v2.0 and exits 3', async () => {
    const dir = scratch();
    const file = path.join(dir, 'old.postman_collection.json');
    writeFileSync(
      file,
      JSON.stringify({
        info: { name: 'old', schema: 'https://schema.getpostman.com/json/collection/v2.0.0/collection.json' },
        item: [],
      }),
    );

    const result = await cli(['check', '--collection', file]);

    expect(result.code).toBe(3);
    expectCleanError(result, /is not a Postman v2\.1 collection/);
    expect(result.stderr).toContain('export it from Postman as "Collection v2.1"');
  });
});

describe('veeam-auth check with a bad environment', () => {
  it.each([
    ['is not JSON', null, /is not valid JSON$/m],
    ['lacks baseUrl', { apiVersion: '1.3-rev2' }, /does not set baseUrl/],
    ['lacks apiVersion', { baseUrl: 'https://127.0.0.1:9' }, /does not set apiVersion/],
    ['has a v-prefixed apiVersion', { baseUrl: 'https://127.0.0.1:9', apiVersion: 'v1.3-rev2' }, /apiVersion "v1\.3-rev2" is not of the form <major>\.<minor>-rev<N>/],
    ['has a baseUrl with a path', { baseUrl: 'https://127.0.0.1:9/api', apiVersion: '1.3-rev2' }, /baseUrl is not a URL of the form/],
    ['has credentials in baseUrl', { baseUrl: 'https://u:p@127.0.0.1:9', apiVersion: '1.3-rev2' }, /baseUrl is not a URL of the form/],
    ['uses http://', { baseUrl: 'http://127.0.0.1:9', apiVersion: '1.3-rev2' }, /baseUrl uses http:\/\/, which would send the passwords unencrypted/],
  ])('names an environment that %s and exits 3', async (_what, values, message) => {
    const dir = scratch();
    const file = values === null ? path.join(dir, 'env.json') : environmentFile(dir, values);
    if (values === null) writeFileSync(file, 'not json');

    const result = await cli(['check', '--env', file]);

    expect(result.code).toBe(3);
    expectCleanError(result, message);
  });

  it('does not quote the file when it is not JSON: it may be a password file given by mistake', async () => {
    const dir = scratch();
    const file = path.join(dir, 'password.txt');
    writeFileSync(file, 'hunter2-Secret-Value\n');

    const result = await cli(['check', '--env', file]);

    expect(result.code).toBe(3);
    expect(result.stderr).not.toContain('hunter2');
    expect(result.stderr).toMatch(/is not valid JSON\n/);
  });

  it('does not echo a baseUrl that holds credentials', async () => {
    const dir = scratch();
    const file = environmentFile(dir, { baseUrl: 'https://admin:Secr3tPass@127.0.0.1:9', apiVersion: '1.3-rev2' });

    const result = await cli(['check', '--env', file]);

    expect(result.stderr).not.toContain('Secr3tPass');
  });
});

describe('veeam-auth check with missing credentials', () => {
  function harnessFolder(dotenv: string | null): string {
    const dir = scratch();
    copyFileSync(path.join(ROOT, '.env.example'), path.join(dir, '.env.example'));
    if (dotenv !== null) writeFileSync(path.join(dir, '.env'), dotenv);
    environmentFile(dir, { baseUrl: 'https://127.0.0.1:9', apiVersion: '1.3-rev2' });
    return dir;
  }

  it('lists every missing or empty variable on one line and exits 3', async () => {
    const dir = harnessFolder('VBR_SERVICE_ACCOUNT_USERNAME=svc\nVBR_SERVICE_ACCOUNT_PASSWORD=pw-value\nVBR_MFA_USERNAME=mfa\nVBR_MFA_PASSWORD=\n');

    const result = await cliProcess(['check', '--env', 'env.json'], { cwd: dir });

    expect(result.code).toBe(3);
    expectCleanError(result, /^error: missing or empty credential variable: VBR_MFA_PASSWORD$/);
    expect(result.stderr).not.toContain('pw-value');
  });

  it('names all four variables when neither .env nor the environment has them', async () => {
    const dir = harnessFolder(null);

    const result = await cliProcess(['check', '--env', 'env.json'], { cwd: dir });

    expect(result.code).toBe(3);
    expect(result.stderr.split('\n')[0]).toBe(
      'error: missing or empty credential variables: VBR_SERVICE_ACCOUNT_USERNAME, VBR_SERVICE_ACCOUNT_PASSWORD, VBR_MFA_USERNAME, VBR_MFA_PASSWORD',
    );
  });

  it('falls back to the harness .env.example when run from another folder', async () => {
    const dir = scratch();
    environmentFile(dir, { baseUrl: 'https://127.0.0.1:9', apiVersion: '1.3-rev2' });

    const result = await cliProcess(['check', '--env', 'env.json', '--timeout-request', '500'], {
      cwd: dir,
      env: cleanEnv({ VBR_SERVICE_ACCOUNT_USERNAME: 'a', VBR_SERVICE_ACCOUNT_PASSWORD: 'bbbb', VBR_MFA_USERNAME: 'c', VBR_MFA_PASSWORD: 'dddd' }),
    });

    // Past the credentials: the closed port 9 is what stops it.
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/^error: 127\.0\.0\.1:9 refused the connection/m);
  });

  it('names a missing .env.example when neither folder has one', () => {
    const dir = scratch();

    expect(() => loadCredentials(dir, CREDENTIAL_VARIABLES, path.join(dir, 'none', '.env.example'))).toThrow(
      /^no \.env\.example in .* nor in the harness folder/,
    );
  });
});

describe('veeam-auth flags', () => {
  it('rejects an unknown flag with exit 2 and no stack trace', async () => {
    const result = await cli(['check', '--no-such-flag']);

    expect(result.code).toBe(2);
    expectCleanError(result, /unknown option '--no-such-flag'/);
  });

  it('rejects an unknown command with exit 2', async () => {
    const result = await cli(['chekc']);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: unknown command 'chekc'/);
  });

  it('rejects a timeout that is not a number with exit 2', async () => {
    const result = await cli(['check', '--timeout-request', 'soon']);

    expect(result.code).toBe(2);
    expectCleanError(result, /--timeout-request takes a whole number of milliseconds, got "soon"/);
  });

  it('rejects --scenario together with --env', async () => {
    const result = await cli(['check', '--env', 'x.json', '--scenario', 'mfa-bypass']);

    expect(result.code).toBe(2);
    expectCleanError(result, /--scenario applies to the built-in simulator/);
  });

  it('prints a stack trace only with --verbose', async () => {
    const quiet = await cli(['check', '--collection', 'missing.json']);
    const verbose = await cli(['check', '--collection', 'missing.json', '--verbose']);

    expect(quiet.stderr).not.toMatch(/\n\s+at /);
    expect(verbose.stderr).toMatch(/\n\s+at /);
  });
});

describe('veeam-auth check report paths', () => {
  it('refuses a report whose folder does not exist, before running anything', async () => {
    const dir = scratch();

    const result = await cli(['check', '--json', path.join(dir, 'missing', 'out.json')]);

    expect(result.code).toBe(3);
    expectCleanError(result, /--json .*out\.json: folder .*missing does not exist/);
    expect(result.stdout).toBe('');
  });

  it('refuses a report whose folder is a file', async () => {
    const dir = scratch();
    writeFileSync(path.join(dir, 'plain-file'), '');

    const result = await cli(['check', '--json', path.join(dir, 'plain-file', 'out.json')]);

    expect(result.code).toBe(3);
    expectCleanError(result, /plain-file is a file, not a folder/);
  });

  it('writes no partial report when the collection is bad', async () => {
    const dir = scratch();
    const report = path.join(dir, 'out.json');

    const result = await cli(['check', '--collection', 'missing.json', '--json', report]);

    expect(result.code).toBe(3);
    expect(existsSync(report)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('leaves no temporary file beside the report it writes', async () => {
    const dir = scratch();

    const result = await cli(['check', '--collection', COLLECTION_FILE, '--json', path.join(dir, 'out.json')]);

    expect(result.code).toBe(0);
    expect(readdirSync(dir)).toEqual(['out.json']);
  });
});
