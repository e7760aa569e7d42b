import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { checkIdOf, isEvidence } from '../../src/check-mapping';
import { COLLECTION_FILE, COLLECTIONS, runCli, scratch, type Scratch } from './support';

type Item = { name: string; item?: Item[]; [key: string]: unknown };

/** An operator's own collection, built from the shipped one. */
function operatorCollection(dir: string): string {
  const json = JSON.parse(readFileSync(COLLECTION_FILE, 'utf8'));
  const byName = (name: string): Item => json.item.find((f: Item) => f.name === name);

  const token = byName('token-opens-protected-endpoint');
  token.name = '[token-opens-protected-endpoint] our token works';
  const mfa = byName('mfa-user-refused');
  const refusal = (mfa.item as Item[])[0];
  refusal.name = '[mfa-user-refused] MFA login is refused';
  const logout = byName('logout-revokes-token');
  logout.name = 'logout-revoke-token';

  json.info.name = 'Our VBR checks';
  json.info.version = '3.2.1';
  json.item = [
    byName('service-account-token'),
    token,
    { name: 'MFA', item: [refusal] },
    logout,
  ];
  const file = path.join(dir, 'ours.postman_collection.json');
  writeFileSync(file, JSON.stringify(json));
  return file;
}

describe('checkIdOf', () => {
  it('maps a top-level folder named by a check id, exactly or in brackets', () => {
    const exact = { folder: 'mfa-user-refused', itemName: 'anything' };
    const bracketed = { folder: '[mfa-user-refused] MFA', itemName: 'anything' };

    const ids = [checkIdOf(exact), checkIdOf(bracketed)];

    expect(ids).toEqual(['mfa-user-refused', 'mfa-user-refused']);
  });

  it('lets a request named "[check-id] ..." belong to that check, whatever its folder', () => {
    const request = { folder: 'service-account-token', itemName: '[wrong-password-refused] bad password' };

    const id = checkIdOf(request);

    expect(id).toBe('wrong-password-refused');
  });

  it('maps nothing to an unknown or misspelt id', () => {
    const requests = [
      { folder: 'logout-revoke-token', itemName: 'Logout' },
      { folder: 'smoke', itemName: '[not-a-check] x' },
    ];

    const ids = requests.map(checkIdOf);

    expect(ids).toEqual([null, null]);
  });
});

describe('isEvidence', () => {
  it('marks requests named "... (evidence)" only', () => {
    const names = ['Users list (evidence)', 'MFA settings (Evidence) ', 'evidence of nothing'];

    const marks = names.map((itemName) => isEvidence({ itemName }));

    expect(marks).toEqual([true, true, false]);
  });
});

describe('veeam-auth check --collection with an operator collection', () => {
  let dir: Scratch;

  beforeEach(() => {
    dir = scratch();
  });

  afterEach(() => dir.remove());

  it('judges the checks it holds and says which ones it lacks', async () => {
    const file = operatorCollection(dir.dir);
    const json = path.join(dir.dir, 'verdict.json');

    const result = await runCli(['check', '--collection', file, '--json', json]);

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^Our VBR checks v3\.2\.1\n/);
    for (const id of ['service-account-token', 'token-opens-protected-endpoint', 'mfa-user-refused']) {
      expect(result.stdout).toMatch(new RegExp(`  PASS  ${id} `));
    }
    for (const id of ['wrong-password-refused', 'unsupported-revision-refused', 'logout-revokes-token']) {
      expect(result.stdout).toMatch(new RegExp(`  MISS  ${id} `));
    }
    expect(result.stdout).toContain(
      'error: the collection lacks 3 of 6 checks: wrong-password-refused, unsupported-revision-refused, logout-revokes-token\n' +
        '  to run them, name a top-level folder after each check id (for example "mfa-user-refused"), ' +
        'or begin a folder or request name with "[check-id]"\n' +
        '  top-level entries that name no check (run, not judged): "logout-revoke-token"\n',
    );
    expect(result.stdout).toContain('3 passed, 3 failed: wrong-password-refused, unsupported-revision-refused, logout-revokes-token');
  });

  it('writes the missing checks into the --json verdict', async () => {
    const file = operatorCollection(dir.dir);
    const json = path.join(dir.dir, 'verdict.json');

    await runCli(['check', '--collection', file, '--json', json]);

    const verdict = JSON.parse(readFileSync(json, 'utf8'));
    expect(verdict.collection).toEqual({ name: 'Our VBR checks', version: '3.2.1' });
    expect(verdict.checks.filter((c: any) => c.outcome === 'not-run').map((c: any) => c.id)).toEqual([
      'wrong-password-refused',
      'unsupported-revision-refused',
      'logout-revokes-token',
    ]);
    expect(verdict.errors.map((e: any) => e.code)).toEqual(['ERR_CHECK_MISSING']);
    expect(verdict.errors[0].message).toMatch(/^the collection lacks 3 of 6 checks: /);
  });

  it('keeps the credentials out of everything it prints and writes', async () => {
    const file = operatorCollection(dir.dir);
    const json = path.join(dir.dir, 'verdict.json');

    const result = await runCli(['check', '--collection', file, '--json', json]);

    const everything = [result.stdout, result.stderr, readFileSync(json, 'utf8')].join('\n');
    expect(everything).not.toMatch(/svc-harness|mfa-admin/);
    expect(everything).not.toMatch(/eyJ[\w-]{8,}\./);
  });
});

describe('veeam-auth check --collection with an archived version', () => {
  it('runs collection 1.0.0 from collections/archive, and names that version', async () => {
    const archived = path.join(COLLECTIONS, 'archive', 'vbr-auth@1.0.0.postman_collection.json');

    const result = await runCli(['check', '--collection', archived]);

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^VBR REST auth: MFA users refused, service accounts served v1\.0\.0\n/);
    expect(result.stdout).toContain('6 passed, 0 failed');
    expect(result.stdout).toContain(
      "why mfa-user-refused got 401: could not tell why: GET /api/v1/security/users was not sent: the service account got no token, or the collection lacks that request\n",
    );
  });
});
