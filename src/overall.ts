import type { Comparison } from './baseline';
import type { Matrix } from './matrix';

export type OverallStatus = 'pass' | 'fail' | 'regression' | 'no-response';

/** The one-line verdict of a run, as the CLI, JUnit and HTML state it. */
export type Overall = {
  status: OverallStatus;
  label: 'PASS' | 'FAIL' | 'REGRESSION' | 'NO RESPONSE';
  headline: string;
  details: string[];
};

/** Sums a matrix, and its comparison with a baseline if any, into one verdict. */
export function overallOf(matrix: Matrix, comparison?: Comparison): Overall {
  const served = matrix.rows.filter((r) => r.state === 'served');
  const refused = matrix.rows.filter((r) => r.state === 'refused');
  const failing = matrix.rows.filter((r) => !r.passed);
  const details: string[] = [];

  if (comparison) {
    const regressions = comparison.changes.filter((c) => c.severity === 'regression');
    const benign = comparison.changes.length - regressions.length;
    details.push(
      regressions.length > 0
        ? `${plural(regressions.length, 'security regression')} since the baseline of ${comparison.baseline.recordedAt}`
        : comparison.changes.length === 0
          ? `no change since the baseline of ${comparison.baseline.recordedAt}`
          : `no security regression since the baseline of ${comparison.baseline.recordedAt}; ${plural(benign, 'benign change')}`,
    );
  }

  if (matrix.transport) {
    const { summary, code, hint } = matrix.transport;
    return { status: 'no-response', label: 'NO RESPONSE', headline: `${summary} (${code})`, details: [hint, ...details] };
  }

  const regression = comparison?.changes.find((c) => c.severity === 'regression');
  if (regression) {
    const count = comparison?.changes.filter((c) => c.severity === 'regression').length ?? 1;
    const where = regression.apiVersion ? ` with ${regression.apiVersion}` : '';
    const more = count > 1 ? `, and ${count - 1} more` : '';
    return { status: 'regression', label: 'REGRESSION', headline: `${regression.summary}${where}${more}`, details };
  }

  if (matrix.plan.kind === 'single') {
    const row = matrix.rows[0];
    const failed = row ? row.cells.filter((c) => !c.passed) : [];
    if (!matrix.passed) {
      const ids = failed.map((c) => c.id).join(', ');
      const headline = `${plural(failed.length, 'check')} failed with x-api-version ${row?.apiVersion}: ${ids}`;
      return { status: 'fail', label: 'FAIL', headline, details };
    }
    return { status: 'pass', label: 'PASS', headline: `every check passes with x-api-version ${row?.apiVersion}`, details };
  }

  if (matrix.problems.length > 0) {
    return { status: 'fail', label: 'FAIL', headline: matrix.problems[0], details: [...matrix.problems.slice(1), ...details] };
  }
  const counts = `${served.length} served, ${refused.length} refused`;
  if (!matrix.passed) {
    const list = failing.map((r) => {
      const ids = r.cells.filter((c) => !c.passed && c.outcome !== 'skipped').map((c) => c.id);
      return `${r.apiVersion} (${ids.join(', ')})`;
    });
    const headline = `${plural(failing.length, 'served revision')} of ${served.length} failed: ${list.join('; ')}`;
    return { status: 'fail', label: 'FAIL', headline, details: [counts, ...details] };
  }
  return {
    status: 'pass',
    label: 'PASS',
    headline: `every served revision refuses the MFA user and serves the service account (${counts})`,
    details,
  };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
