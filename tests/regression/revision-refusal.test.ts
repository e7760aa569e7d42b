import { copyFileSync } from 'node:fs';
import path from 'node:path';

import { compareWithBaseline, toBaseline } from '../../src/baseline';
import { runMatrix, type Matrix } from '../../src/matrix';
import type { ServerBuild } from '../../src/server-probe';
import type { SimRequest, SimResponse } from '../../src/simulator/model';
import { startSimulator, type RunningSimulator } from '../../src/simulator/start';
import { credentialEnv, setProcessEnv, tempDir } from '../support/fixtures';
import { nockServer, ROOT, type NockServer } from '../support/harness';
import { cliWith, matrixOptions } from './support';

const BUILD: ServerBuild = { buildVersion: '13.1.0.411', note: 'from GET /api/v1/serverInfo' };
const REVISIONS = ['1.2-rev1', '1.3-rev2'];

type Override = (request: SimRequest) => SimResponse | null;

function jsonAnswer(status: number, body: string): SimResponse {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8' }, body };
}

const restError = (errorCode: string, message: string) =>
  jsonAnswer(400, JSON.stringify({ errorCode, message, resourceId: null }));

/** Answers every token request sent with `apiVersion` with `answer`. */
function tokenRequestsAt(apiVersion: string, answer: SimResponse): Override {
  return (request) =>
    request.method === 'POST' && request.path.startsWith('/api/oauth2/token') && request.headers['x-api-version'] === apiVersion
      ? answer
      : null;
}

/** Answers the swagger probe of `apiVersion` with 404. */
function swaggerMissingFor(apiVersion: string): Override {
  return (request) => (request.path === `/swagger/v${apiVersion}/swagger.json` ? jsonAnswer(404, '{}') : null);
}

/** A server that publishes no swagger at all: the probe then hints nothing. */
const noSwagger: Override = (request) => (request.path.startsWith('/swagger/') ? jsonAnswer(404, '{}') : null);

function overridden(model: { handle: (request: SimRequest) => SimResponse }, overrides: Override[]): void {
  const handle = model.handle.bind(model);
  model.handle = (request) => overrides.reduce<SimResponse | null>((found, o) => found ?? o(request), null) ?? handle(request);
}

let servers = 0;

async function matrixAgainst(overrides: Override[] = []): Promise<{ matrix: Matrix; server: NockServer }> {
  servers += 1;
  const server = nockServer('healthy', { baseUrl: `https://vbr-refusal-${servers}.test:9419` });
  overridden(server.model, overrides);
  const matrix = await runMatrix(
    matrixOptions(server.baseUrl, {
      credentials: server.credentials,
      target: 'vbr.test',
      plan: { kind: 'revisions', apiVersions: REVISIONS },
    }),
  );
  return { matrix, server };
}

const rowAt = (matrix: Matrix, apiVersion: string) => matrix.rows.find((r) => r.apiVersion === apiVersion);

describe('runMatrix, judging a 400 to the token requests', () => {
  it('fails a served revision whose token requests get 400 UnexpectedContent', async () => {
    const { matrix } = await matrixAgainst([tokenRequestsAt('1.3-rev2', restError('UnexpectedContent', 'The request body is malformed.'))]);

    const row = rowAt(matrix, '1.3-rev2');
    expect(row?.state).toBe('served');
    expect(row?.passed).toBe(false);
    expect(row?.cells.find((c) => c.id === 'service-account-token')).toMatchObject({ outcome: 'failed', status: 400, errorCode: 'UnexpectedContent' });
    expect(matrix.passed).toBe(false);
  });

  it('fails 400 UnexpectedContent even when the swagger probe also calls the revision unserved', async () => {
    const { matrix } = await matrixAgainst([
      swaggerMissingFor('1.3-rev2'),
      tokenRequestsAt('1.3-rev2', restError('UnexpectedContent', 'The request body is malformed.')),
    ]);

    expect(rowAt(matrix, '1.3-rev2')).toMatchObject({ state: 'served', passed: false });
    expect(matrix.passed).toBe(false);
  });

  it('fails 400 NotImplemented at a revision the swagger probe finds served', async () => {
    const { matrix } = await matrixAgainst([tokenRequestsAt('1.3-rev2', restError('NotImplemented', 'The specified API version is not supported.'))]);

    expect(rowAt(matrix, '1.3-rev2')).toMatchObject({ state: 'served', passed: false });
  });

  it('counts 400 NotImplemented as refused when the swagger probe agrees', async () => {
    const { matrix } = await matrixAgainst([
      swaggerMissingFor('1.3-rev2'),
      tokenRequestsAt('1.3-rev2', restError('NotImplemented', 'The specified API version is not supported.')),
    ]);

    expect(rowAt(matrix, '1.3-rev2')).toMatchObject({ state: 'refused', passed: true });
    expect(rowAt(matrix, '1.2-rev1')).toMatchObject({ state: 'served', passed: true });
  });

  it('counts a 400 without a JSON errorCode as refused when the probe tells nothing', async () => {
    const { matrix } = await matrixAgainst([
      noSwagger,
      tokenRequestsAt('1.3-rev2', { status: 400, headers: { 'content-type': 'text/plain' }, body: '' }),
    ]);

    expect(rowAt(matrix, '1.3-rev2')).toMatchObject({ state: 'refused', passed: true });
  });

  it('fails 400 UnexpectedContent when the probe tells nothing', async () => {
    const { matrix } = await matrixAgainst([noSwagger, tokenRequestsAt('1.3-rev2', restError('UnexpectedContent', 'Unsupported grant type.'))]);

    expect(rowAt(matrix, '1.3-rev2')).toMatchObject({ state: 'served', passed: false });
  });
});

describe('compareWithBaseline, after a revision starts answering 400 UnexpectedContent', () => {
  it('reports the refused service account as a regression, not a dropped revision', async () => {
    const before = toBaseline((await matrixAgainst()).matrix, BUILD);
    const { matrix } = await matrixAgainst([tokenRequestsAt('1.3-rev2', restError('UnexpectedContent', 'The request body is malformed.'))]);

    const comparison = compareWithBaseline(before, matrix, BUILD);

    expect(comparison.hasRegression).toBe(true);
    expect(comparison.changes.map((c) => c.kind)).not.toContain('revision-dropped');
    expect(comparison.changes).toContainEqual(
      expect.objectContaining({
        kind: 'check-regressed',
        severity: 'regression',
        apiVersion: '1.3-rev2',
        checkId: 'service-account-token',
        summary: 'the service account is now refused (400 UnexpectedContent)',
      }),
    );
  });
});

describe('veeam-auth check --compare against a loopback server that answers 400 UnexpectedContent', () => {
  let simulator: RunningSimulator;
  let cwd: { dir: string; remove: () => void };
  let restoreEnv: () => void;

  beforeAll(async () => {
    simulator = await startSimulator({ port: 0 });
    cwd = tempDir();
    copyFileSync(path.join(ROOT, '.env.example'), path.join(cwd.dir, '.env.example'));
    restoreEnv = setProcessEnv(credentialEnv(simulator.credentials));
  });

  afterAll(async () => {
    restoreEnv();
    cwd.remove();
    await simulator.close();
  });

  it('exits 1 naming the revision and the service account', async () => {
    const baseline = path.join(cwd.dir, 'healthy.json');
    const server = ['--env', simulator.environmentFile, '--ca-cert', simulator.caFile];
    const saved = await cliWith(['check', ...server, '--revisions', REVISIONS.join(','), '--save-baseline', baseline], { cwd: cwd.dir });
    overridden(simulator.model, [tokenRequestsAt('1.3-rev2', restError('UnexpectedContent', 'The request body is malformed.'))]);

    const compared = await cliWith(['check', ...server, '--compare', baseline], { cwd: cwd.dir });

    expect(saved.code).toBe(0);
    expect(compared.code).toBe(1);
    expect(compared.stdout).toContain('  REGRESSION  1.3-rev2  the service account is now refused (400 UnexpectedContent)\n');
    expect(compared.stdout).not.toContain('no longer served');
  });
});
