import nock from 'nock';

import { CHECK_IDS } from '../../src/checks';
import { loadCollection } from '../../src/config/collection';
import { HarnessError } from '../../src/errors';
import {
  copiesPerRevision,
  ONCE_PER_MATRIX,
  parseRevisionList,
  runMatrix,
  type Matrix,
  type MatrixOptions,
  type Plan,
} from '../../src/matrix';
import { REVISIONS, revisionsServedBy } from '../../src/revisions';
import type { ScenarioName } from '../../src/simulator/scenarios';
import { closedPort } from '../support/fixtures';
import { COLLECTION_FILE, nockServer, type NockServer } from '../support/harness';
import { matrixOptions } from './support';

const ALL = REVISIONS.map((r) => r.apiVersion);

function options(server: { baseUrl: string; credentials: NockServer['credentials'] }, plan: Plan, apiVersion = '1.3-rev2'): MatrixOptions {
  return matrixOptions(server.baseUrl, { credentials: server.credentials, target: server.baseUrl, plan }, apiVersion);
}

function matrixAgainst(scenario: ScenarioName, plan: Plan, serverOptions: { revisions?: string[] } = {}, apiVersion?: string) {
  const server = nockServer(scenario, serverOptions);
  return { server, run: () => runMatrix(options(server, plan, apiVersion)) };
}

const states = (matrix: Matrix) => matrix.rows.map((r) => [r.apiVersion, r.state]);
const outcomes = (matrix: Matrix, apiVersion: string) =>
  Object.fromEntries(matrix.rows.find((r) => r.apiVersion === apiVersion)?.cells.map((c) => [c.id, c.outcome]) ?? []);

describe('runMatrix', () => {
  it('refuses the old revisions and passes every served one against a server of the latest release', async () => {
    const { run } = matrixAgainst('healthy', { kind: 'revisions', apiVersions: ALL });

    const matrix = await run();

    expect(states(matrix)).toEqual(ALL.map((v) => [v, v.startsWith('1.0-') ? 'refused' : 'served']));
    expect(matrix.rows.every((r) => r.passed)).toBe(true);
    expect(matrix.passed).toBe(true);
    expect(matrix.problems).toEqual([]);
  });

  it('judges the service account and the MFA user in every served revision', async () => {
    const { run } = matrixAgainst('healthy', { kind: 'revisions', apiVersions: ALL });

    const matrix = await run();

    for (const row of matrix.rows.filter((r) => r.state === 'served')) {
      const cell = (id: string) => row.cells.find((c) => c.id === id);
      expect([row.apiVersion, cell('service-account-token')?.status, cell('mfa-user-refused')?.status]).toEqual([row.apiVersion, 200, 401]);
    }
  });

  it('sends each request with the revision of its own row', async () => {
    const { run } = matrixAgainst('healthy', { kind: 'revisions', apiVersions: ['1.1-rev0', '1.2-rev1', '1.3-rev2'] });

    const matrix = await run();

    for (const row of matrix.rows) {
      expect(row.verdict.apiVersion).toBe(row.apiVersion);
      expect(row.cells.map((c) => c.id)).toEqual([...CHECK_IDS]);
    }
  });

  it('sends the wrong password once per matrix, with the environment\'s revision', async () => {
    const { server, run } = matrixAgainst('healthy', { kind: 'revisions', apiVersions: ALL });

    const matrix = await run();

    const badPasswords = server.model.log.filter((e) => e.message.startsWith('Failed to authenticate user'));
    expect(badPasswords).toHaveLength(1);
    expect(outcomes(matrix, '1.3-rev2')['wrong-password-refused']).toBe('passed');
    expect(outcomes(matrix, '1.2-rev1')['wrong-password-refused']).toBe('skipped');
    expect(matrix.rows.find((r) => r.apiVersion === '1.2-rev1')?.cells.find((c) => c.id === 'wrong-password-refused')?.reason)
      .toBe('runs once per matrix, with 1.3-rev2');
  });

  it('runs the once-per-matrix checks with the newest served revision when the environment\'s is refused', async () => {
    const { server, run } = matrixAgainst(
      'healthy',
      { kind: 'revisions', apiVersions: ['1.1-rev0', '1.2-rev1', '1.3-rev2'] },
      { revisions: revisionsServedBy('1.2-rev1') },
    );

    const matrix = await run();

    expect(states(matrix)).toEqual([['1.1-rev0', 'served'], ['1.2-rev1', 'served'], ['1.3-rev2', 'refused']]);
    expect(outcomes(matrix, '1.2-rev1')['wrong-password-refused']).toBe('passed');
    expect(outcomes(matrix, '1.1-rev0')['unsupported-revision-refused']).toBe('skipped');
    expect(server.model.log.filter((e) => e.message.startsWith('Failed to authenticate user'))).toHaveLength(1);
    expect(matrix.passed).toBe(true);
  });

  it('fails every served revision in which the MFA user gets a token', async () => {
    const { run } = matrixAgainst('mfa-bypass', { kind: 'revisions', apiVersions: ['1.0-rev1', '1.2-rev1', '1.3-rev2'] });

    const matrix = await run();

    expect(matrix.rows.map((r) => [r.apiVersion, r.state, r.passed])).toEqual([
      ['1.0-rev1', 'refused', true],
      ['1.2-rev1', 'served', false],
      ['1.3-rev2', 'served', false],
    ]);
    expect(outcomes(matrix, '1.2-rev1')['mfa-user-refused']).toBe('failed');
    expect(matrix.passed).toBe(false);
  });

  it('counts a revision refused for one account only as served and failing', async () => {
    const { run } = matrixAgainst('service-account-refused', { kind: 'revisions', apiVersions: ['1.3-rev2'] });

    const matrix = await run();

    expect(matrix.rows[0].state).toBe('served');
    expect(matrix.rows[0].passed).toBe(false);
  });

  it('fails a matrix in which the server refuses every revision, saying nothing was proven', async () => {
    const { run } = matrixAgainst('healthy', { kind: 'revisions', apiVersions: ['1.0-rev1', '1.0-rev2'] });

    const matrix = await run();

    expect(states(matrix)).toEqual([['1.0-rev1', 'refused'], ['1.0-rev2', 'refused']]);
    expect(matrix.problems).toEqual(['the server refused every revision asked for, so nothing was proven']);
    expect(matrix.passed).toBe(false);
  });

  it('runs exactly the revisions the swagger probe finds', async () => {
    const { run } = matrixAgainst('healthy', { kind: 'discover', candidates: ALL }, { revisions: revisionsServedBy('1.3-rev0') });

    const matrix = await run();

    expect(matrix.discovery?.filter((p) => p.isServed).map((p) => p.apiVersion)).toEqual(revisionsServedBy('1.3-rev0'));
    expect(matrix.discovery?.find((p) => p.apiVersion === '1.3-rev2')?.status).toBe(404);
    expect(matrix.rows.map((r) => r.apiVersion)).toEqual(revisionsServedBy('1.3-rev0'));
    expect(matrix.rows.every((r) => r.state === 'served' && r.passed)).toBe(true);
  });

  it('fails a discovery that finds nothing, saying so', async () => {
    const { run } = matrixAgainst('healthy', { kind: 'discover', candidates: ['1.0-rev1', '1.0-rev2'] });

    const matrix = await run();

    expect(matrix.rows).toEqual([]);
    expect(matrix.problems).toEqual(['the swagger probe found no revision this server serves, so nothing was proven']);
    expect(matrix.passed).toBe(false);
  });

  it('throws ERR_SERVER_UNREACHABLE when the swagger probe gets no answer', async () => {
    const port = await closedPort();
    const server = { baseUrl: `https://127.0.0.1:${port}`, credentials: nockServer().credentials };

    const attempt = runMatrix(options(server, { kind: 'discover', candidates: ['1.3-rev2'] }));

    await expect(attempt).rejects.toMatchObject({
      code: 'ERR_SERVER_UNREACHABLE',
      message: `the swagger probe got no answer: 127.0.0.1:${port} refused the connection (ECONNREFUSED)`,
    });
  });

  it('reports every revision of an unreachable server as no response', async () => {
    const port = await closedPort();
    const server = { baseUrl: `https://127.0.0.1:${port}`, credentials: nockServer().credentials };

    const matrix = await runMatrix(options(server, { kind: 'revisions', apiVersions: ['1.2-rev1', '1.3-rev2'] }));

    expect(states(matrix)).toEqual([['1.2-rev1', 'no-response'], ['1.3-rev2', 'no-response']]);
    expect(matrix.transport?.code).toBe('ECONNREFUSED');
    expect(matrix.passed).toBe(false);
  });

  it('calls onRevisionDone once per revision, counting up to the total', async () => {
    const server = nockServer('healthy');
    const calls: [string, number, number][] = [];

    await runMatrix({
      ...options(server, { kind: 'revisions', apiVersions: ['1.1-rev0', '1.2-rev1', '1.3-rev2'] }),
      onRevisionDone: (row, done, total) => calls.push([row.apiVersion, done, total]),
    });

    expect(calls.map((c) => c[1])).toEqual([1, 2, 3]);
    expect(calls.every((c) => c[2] === 3)).toBe(true);
    expect(calls.map((c) => c[0]).sort()).toEqual(['1.1-rev0', '1.2-rev1', '1.3-rev2']);
  });

  it('sends a revision the swagger probe calls unserved only its two token requests', async () => {
    const { server, run } = matrixAgainst('healthy', { kind: 'revisions', apiVersions: ['1.0-rev1', '1.3-rev2'] });
    const sent: string[] = [];
    const handle = server.model.handle.bind(server.model);
    server.model.handle = (request) => {
      if (request.headers['x-api-version'] === '1.0-rev1') sent.push(`${request.method} ${request.path}`);
      return handle(request);
    };

    const matrix = await run();

    expect(states(matrix)).toEqual([['1.0-rev1', 'refused'], ['1.3-rev2', 'served']]);
    expect(Object.values(outcomes(matrix, '1.0-rev1'))).toEqual(CHECK_IDS.map(() => 'refused'));
    expect(sent).toEqual(['POST /api/oauth2/token', 'POST /api/oauth2/token']);
  });

  it('runs every check of a revision the swagger probe wrongly calls unserved', async () => {
    nock('https://vbr.test:9419').get('/swagger/v1.2-rev1/swagger.json').reply(404, '{}', { 'Content-Length': '2' });
    const { run } = matrixAgainst('healthy', { kind: 'revisions', apiVersions: ['1.2-rev1', '1.3-rev2'] });

    const matrix = await run();

    expect(states(matrix)).toEqual([['1.2-rev1', 'served'], ['1.3-rev2', 'served']]);
    expect(outcomes(matrix, '1.2-rev1')).toMatchObject({
      'token-opens-protected-endpoint': 'passed',
      'logout-revokes-token': 'skipped',
      'wrong-password-refused': 'skipped',
    });
    expect(matrix.passed).toBe(true);
  });

  it('ignores a swagger probe that finds nothing served', async () => {
    nock('https://vbr.test:9419').get(/^\/swagger\//).times(3).reply(404, '{}', { 'Content-Length': '2' });
    const { run } = matrixAgainst('healthy', { kind: 'revisions', apiVersions: ['1.1-rev0', '1.2-rev1', '1.3-rev2'] });

    const matrix = await run();

    expect(matrix.rows.every((r) => r.state === 'served' && r.passed)).toBe(true);
  });

  it('logs out every token it was issued, in each revision it was issued under', async () => {
    const { server, run } = matrixAgainst('healthy', { kind: 'revisions', apiVersions: ALL });
    const logouts: string[] = [];
    const handle = server.model.handle.bind(server.model);
    server.model.handle = (request) => {
      const response = handle(request);
      if (request.path === '/api/oauth2/logout' && response.status === 200) logouts.push(String(request.headers['x-api-version']));
      return response;
    };

    const matrix = await run();

    expect(logouts.sort()).toEqual(matrix.rows.filter((r) => r.state === 'served').map((r) => r.apiVersion));
    expect(outcomes(matrix, '1.3-rev2')['logout-revokes-token']).toBe('passed');
    expect(outcomes(matrix, '1.1-rev0')['logout-revokes-token']).toBe('skipped');
  });

  it('gives a single plan the verdict of one plain run', async () => {
    const { run } = matrixAgainst('healthy', { kind: 'single' });

    const matrix = await run();

    expect(matrix.rows).toHaveLength(1);
    expect(matrix.rows[0].cells.map((c) => c.outcome)).toEqual(CHECK_IDS.map(() => 'passed'));
  });
});

describe('copiesPerRevision', () => {
  it('gives every copied request an id and name of its own, and the full copy every folder', () => {
    const collection = loadCollection(COLLECTION_FILE);

    const copied = copiesPerRevision(collection, [
      { apiVersion: '1.0-rev1', kind: 'refusal' },
      { apiVersion: '1.2-rev1', kind: 'per-revision' },
      { apiVersion: '1.3-rev2', kind: 'full' },
    ]);

    const folders = (copied.json.item as { name: string; item: { id: string; name: string }[] }[]);
    const requests = folders.flatMap((f) => f.item);
    expect(new Set(requests.map((r) => r.id)).size).toBe(requests.length);
    expect(folders.map((f) => f.name)).toEqual([
      'service-account-token',
      'mfa-user-refused',
      ...CHECK_IDS.filter((id) => !ONCE_PER_MATRIX.includes(id)),
      ...CHECK_IDS,
    ]);
    expect(collection.json.item).toEqual(loadCollection(COLLECTION_FILE).json.item);
  });
});

describe('parseRevisionList', () => {
  it('sorts a comma list oldest first and drops repeats', () => {
    const list = parseRevisionList(' 1.3-rev2, 1.1-rev0,1.3-rev2 ');

    expect(list).toEqual(['1.1-rev0', '1.3-rev2']);
  });

  it('takes all to every revision of the table', () => {
    const list = parseRevisionList('all');

    expect(list).toEqual(ALL);
  });

  it('accepts a well-formed revision the table does not know yet', () => {
    const list = parseRevisionList('1.4-rev0');

    expect(list).toEqual(['1.4-rev0']);
  });

  it('refuses a revision written with a v, naming it', () => {
    const parse = () => parseRevisionList('1.3-rev2,v1.2-rev1');

    expect(parse).toThrow(HarnessError);
    expect(parse).toThrow('--revisions: "v1.2-rev1" is not of the form <major>.<minor>-rev<N>');
  });
});
