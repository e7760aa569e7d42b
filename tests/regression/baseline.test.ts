import { readFileSync, writeFileSync } from 'node:fs';

import { compareWithBaseline, readBaseline, toBaseline, type Baseline } from '../../src/baseline';
import { runMatrix, type Matrix, type Plan } from '../../src/matrix';
import { revisionsServedBy } from '../../src/revisions';
import type { ServerBuild } from '../../src/server-probe';
import type { ScenarioName } from '../../src/simulator/scenarios';
import { nockServer } from '../support/harness';
import { cliWith, matrixOptions, scratch } from './support';

const BUILD: ServerBuild = { buildVersion: '13.1.0.411', note: 'from GET /api/v1/serverInfo' };
const PLAN: Plan = { kind: 'revisions', apiVersions: ['1.2-rev1', '1.3-rev1', '1.3-rev2'] };

let servers = 0;

// Each server gets a host of its own: two nock servers on one host would
// both answer, the first one winning.
async function matrixOf(scenario: ScenarioName, revisions?: string[]): Promise<{ matrix: Matrix; secrets: string[] }> {
  servers += 1;
  const server = nockServer(scenario, { revisions, baseUrl: `https://vbr-${servers}.test:9419` });
  const matrix = await runMatrix(
    matrixOptions(server.baseUrl, {
      credentials: server.credentials,
      target: 'vbr.test',
      plan: PLAN,
    }),
  );
  return { matrix, secrets: server.accounts.flatMap((a) => [a.username, a.password]) };
}

describe('toBaseline', () => {
  it('records the collection version, target, server build and each revision\'s outcomes', async () => {
    const { matrix } = await matrixOf('healthy');

    const baseline = toBaseline(matrix, BUILD);

    expect(baseline).toMatchObject({
      kind: 'veeam-auth-baseline',
      format: 1,
      collection: { version: matrix.collection.version },
      target: 'vbr.test',
      server: BUILD,
      plan: PLAN,
    });
    expect(baseline.revisions.map((r) => [r.apiVersion, r.state])).toEqual([
      ['1.2-rev1', 'served'],
      ['1.3-rev1', 'served'],
      ['1.3-rev2', 'served'],
    ]);
    expect(baseline.revisions[2].checks['mfa-user-refused']).toEqual({ outcome: 'passed', status: 401, errorCode: 'AccessDenied' });
  });

  it('holds no user name, password or token', async () => {
    const { matrix, secrets } = await matrixOf('healthy');

    const text = JSON.stringify(toBaseline(matrix, BUILD));

    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/eyJ|access_token|refresh_token|Bearer/);
  });
});

describe('compareWithBaseline', () => {
  it('reports an MFA user who now gets a token as a regression, per revision', async () => {
    const before = toBaseline((await matrixOf('healthy')).matrix, BUILD);
    const { matrix } = await matrixOf('mfa-bypass');

    const comparison = compareWithBaseline(before, matrix, BUILD);

    expect(comparison.hasRegression).toBe(true);
    expect(comparison.changes.map((c) => [c.severity, c.apiVersion, c.checkId, c.summary])).toEqual([
      ['regression', '1.2-rev1', 'mfa-user-refused', 'an MFA user now gets a token (200)'],
      ['regression', '1.3-rev1', 'mfa-user-refused', 'an MFA user now gets a token (200)'],
      ['regression', '1.3-rev2', 'mfa-user-refused', 'an MFA user now gets a token (200)'],
    ]);
  });

  it('reports a service account now refused as a regression', async () => {
    const before = toBaseline((await matrixOf('healthy')).matrix, BUILD);
    const { matrix } = await matrixOf('service-account-refused');

    const comparison = compareWithBaseline(before, matrix, BUILD);

    const summaries = comparison.changes.filter((c) => c.checkId === 'service-account-token').map((c) => c.summary);
    expect(comparison.hasRegression).toBe(true);
    expect(summaries).toEqual([
      'the service account is now refused (401 AccessDenied)',
      'the service account is now refused (401 AccessDenied)',
      'the service account is now refused (401 AccessDenied)',
    ]);
  });

  it('calls a revision newly served, a new build and a new collection version benign', async () => {
    const before = toBaseline((await matrixOf('healthy', revisionsServedBy('1.3-rev1'))).matrix, { buildVersion: '13.0.1.180', note: '' });
    before.collection = { ...before.collection, version: '0.9.0' };
    const { matrix } = await matrixOf('healthy');

    const comparison = compareWithBaseline(before, matrix, BUILD);

    expect(comparison.hasRegression).toBe(false);
    expect(comparison.changes.map((c) => [c.severity, c.kind, c.summary])).toEqual([
      ['benign', 'collection-version', `collection version 0.9.0 -> ${matrix.collection.version}`],
      ['benign', 'server-build', 'server build 13.0.1.180 -> 13.1.0.411'],
      ['benign', 'revision-served', 'newly served'],
    ]);
  });

  it('calls a revision no longer served benign', async () => {
    const before = toBaseline((await matrixOf('healthy')).matrix, BUILD);
    const { matrix } = await matrixOf('healthy', revisionsServedBy('1.3-rev1'));

    const comparison = compareWithBaseline(before, matrix, BUILD);

    expect(comparison.hasRegression).toBe(false);
    expect(comparison.changes).toEqual([
      { kind: 'revision-dropped', severity: 'benign', apiVersion: '1.3-rev2', summary: 'no longer served (400)' },
    ]);
  });

  it('finds nothing changed between two healthy runs', async () => {
    const before = toBaseline((await matrixOf('healthy')).matrix, BUILD);
    const { matrix } = await matrixOf('healthy');

    const comparison = compareWithBaseline(before, matrix, BUILD);

    expect(comparison.changes).toEqual([]);
    expect(comparison.hasRegression).toBe(false);
  });
});

describe('readBaseline', () => {
  const dir = scratch();
  afterAll(() => dir.remove());

  it('reads back what toBaseline wrote', async () => {
    const baseline = toBaseline((await matrixOf('healthy')).matrix, BUILD);
    writeFileSync(dir.file('good.json'), JSON.stringify(baseline));

    const read = readBaseline(dir.file('good.json'));

    expect(read).toEqual(baseline);
  });

  it.each([
    ['missing.json', null, 'no such file'],
    ['text.json', 'not json', 'is not valid JSON'],
    ['other.json', JSON.stringify({ info: {}, item: [] }), 'is not a veeam-auth baseline'],
    ['future.json', JSON.stringify({ kind: 'veeam-auth-baseline', format: 2 }), 'has format 2; this version reads format 1'],
  ])('refuses %s with ERR_REPORT_PATH', (name, content, message) => {
    if (content !== null) writeFileSync(dir.file(name), content);

    const read = () => readBaseline(dir.file(name));

    expect(read).toThrow(expect.objectContaining({ code: 'ERR_REPORT_PATH', exitCode: 3 }));
    expect(read).toThrow(message);
  });
});

describe('veeam-auth check --save-baseline / --compare', () => {
  const dir = scratch();
  afterAll(() => dir.remove());

  it('exits 1 and names the regression when the server starts giving the MFA user tokens', async () => {
    const file = dir.file('healthy.json');
    const saved = await cliWith(['check', '--revisions', 'all', '--save-baseline', file]);

    const compared = await cliWith(['check', '--scenario', 'mfa-bypass', '--compare', file]);

    expect(saved.code).toBe(0);
    expect(compared.code).toBe(1);
    expect(compared.stdout).toContain('  REGRESSION  1.3-rev2  an MFA user now gets a token (200)\n');
    expect(compared.stdout).toContain('REGRESSION: an MFA user now gets a token (200) with 1.1-rev0, and 7 more\n');
    expect(compared.stdout).toContain('8 security regressions since the baseline of');
  });

  it('exits 0 and says benign when the upgraded server newly serves a revision', async () => {
    const file = dir.file('13.0.json');
    const saved = await cliWith(['check', '--revisions', 'all', '--server-release', '13.0', '--save-baseline', file]);

    const compared = await cliWith(['check', '--compare', file]);

    expect(saved.code).toBe(0);
    expect(compared.code).toBe(0);
    expect(compared.stdout).toContain('  benign      1.3-rev2  newly served\n');
    expect(compared.stdout).toContain('  benign      server build 13.0.1.180 -> 13.1.0.411\n');
    expect(compared.stdout).toContain('no security regression since the baseline of');
    expect(compared.stdout).toContain('; 2 benign changes\n');
  });

  it('repeats the baseline\'s revisions when --compare is given alone', async () => {
    const file = dir.file('two.json');
    await cliWith(['check', '--revisions', '1.2-rev1,1.3-rev2', '--save-baseline', file]);

    const compared = await cliWith(['check', '--compare', file]);

    expect(compared.stdout).toContain('target simulator');
    expect(compared.stdout).toContain(', 2 revisions\n');
    expect(compared.stdout).toContain('  no change\n');
  });

  it('writes the server build and no secret into the baseline', async () => {
    const file = dir.file('build.json');

    await cliWith(['check', '--revisions', '1.3-rev2', '--save-baseline', file]);

    const text = readFileSync(file, 'utf8');
    const baseline = JSON.parse(text) as Baseline;
    expect(baseline.server).toEqual({ buildVersion: '13.1.0.411', note: 'from GET /api/v1/serverInfo' });
    expect(text).not.toMatch(/eyJ|svc-harness|mfa-admin|"password"|access_token/);
  });

  it('may compare with and then replace the same baseline in one run', async () => {
    const file = dir.file('rolling.json');
    await cliWith(['check', '--revisions', '1.3-rev2', '--save-baseline', file]);
    const before = readFileSync(file, 'utf8');

    const result = await cliWith(['check', '--compare', file, '--save-baseline', file]);

    expect(result.code).toBe(0);
    expect(readFileSync(file, 'utf8')).not.toBe(before);
  });

  it('exits 3 before running when the baseline to compare with is missing', async () => {
    const result = await cliWith(['check', '--compare', dir.file('absent.json')]);

    expect(result.code).toBe(3);
    expect(result.stderr).toBe(`error: baseline ${dir.file('absent.json')}: no such file\n  hint: record one first with --save-baseline <file>\n`);
    expect(result.stdout).toBe('');
  });
});
