import type { Matrix, MatrixCell, MatrixRow } from '../matrix';
import { renderXml, type XmlElement } from './xml';

/** The classname of a revision's testcases: stable across releases. */
export function junitClassname(apiVersion: string): string {
  return `veeam-auth.${apiVersion}`;
}

/** Classname of the testcase that fails a matrix in which nothing was served. */
export const MATRIX_CLASSNAME = 'veeam-auth.matrix';

/**
 * JUnit XML for one or more servers' matrices: a testsuite per server and
 * revision, a testcase per check named by its id. A request that got no
 * response is an `<error>` in its own testcase, a refused revision or a check
 * run once per matrix is `<skipped>`, so CI counts every check every time.
 * Strings are escaped here; the caller redacts.
 */
export function renderJunit(matrices: readonly Matrix[]): string {
  const suites = matrices.flatMap((matrix) => [
    ...matrix.rows.map((row) => revisionSuite(matrix, row)),
    ...(matrix.plan.kind === 'single' ? [] : [matrixSuite(matrix)]),
  ]);
  const total = (key: 'tests' | 'failures' | 'errors' | 'skipped') =>
    suites.reduce((sum, s) => sum + Number(s.attributes?.[key] ?? 0), 0);
  const time = matrices.reduce((sum, m) => sum + m.durationMs, 0);

  return renderXml({
    name: 'testsuites',
    attributes: {
      name: 'veeam-auth',
      tests: total('tests'),
      failures: total('failures'),
      errors: total('errors'),
      skipped: total('skipped'),
      time: seconds(time),
    },
    children: suites,
  });
}

function revisionSuite(matrix: Matrix, row: MatrixRow): XmlElement {
  const testcases = row.cells.map((cell) => testcase(junitClassname(row.apiVersion), cell.id, outcomeElement(cell)));
  return suite(`${junitClassname(row.apiVersion)} on ${matrix.target}`, row.startedAt, row.durationMs, [
    property('target', matrix.target),
    property('baseUrl', matrix.baseUrl),
    property('x-api-version', row.apiVersion),
    property('revision', row.state),
    property('collection', `${matrix.collection.name} ${matrix.collection.version}`),
  ], testcases);
}

function matrixSuite(matrix: Matrix): XmlElement {
  const failure = matrix.problems.length > 0
    ? {
        name: 'failure',
        attributes: { message: matrix.problems[0], type: 'nothing-proven' },
        children: [matrix.problems.join('\n')],
      }
    : undefined;
  const probes = (matrix.discovery ?? []).map((p) => property(`swagger ${p.apiVersion}`, String(p.status)));
  return suite(`${MATRIX_CLASSNAME} on ${matrix.target}`, matrix.startedAt, matrix.durationMs, [
    property('target', matrix.target),
    property('plan', matrix.plan.kind),
    ...probes,
  ], [testcase(MATRIX_CLASSNAME, 'served-revision', failure)]);
}

function suite(
  name: string,
  startedAt: string,
  durationMs: number,
  properties: XmlElement[],
  testcases: XmlElement[],
): XmlElement {
  const count = (child: string) =>
    testcases.filter((t) => t.children?.some((c) => typeof c !== 'string' && c.name === child)).length;
  return {
    name: 'testsuite',
    attributes: {
      name,
      tests: testcases.length,
      failures: count('failure'),
      errors: count('error'),
      skipped: count('skipped'),
      time: seconds(durationMs),
      // JUnit's timestamp is an ISO 8601 date-time without a zone: UTC here.
      timestamp: startedAt.slice(0, 19),
    },
    children: [{ name: 'properties', children: properties }, ...testcases],
  };
}

function testcase(classname: string, name: string, child: XmlElement | undefined): XmlElement {
  return { name: 'testcase', attributes: { classname, name }, children: child ? [child] : [] };
}

function outcomeElement(cell: MatrixCell): XmlElement | undefined {
  const seen = [String(cell.status ?? 'no response'), cell.errorCode].filter(Boolean).join(' ');
  const observed = `expected: ${cell.expectation}; got: ${seen}`;
  switch (cell.outcome) {
    case 'passed':
      return undefined;
    case 'skipped':
    case 'refused':
      return { name: 'skipped', attributes: { message: cell.reason } };
    case 'transport-error':
      return { name: 'error', attributes: { message: cell.reason, type: 'request-error' }, children: [observed] };
    case 'failed':
    case 'not-counted':
    case 'not-run':
      return { name: 'failure', attributes: { message: cell.reason, type: cell.outcome }, children: [observed] };
  }
}

function property(name: string, value: string): XmlElement {
  return { name: 'property', attributes: { name, value } };
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}
