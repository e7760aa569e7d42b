import type { Comparison } from '../baseline';
import type { CellOutcome, Matrix } from '../matrix';
import type { Overall } from '../overall';
import { revisionOf } from '../revisions';

const LABEL: Record<CellOutcome, string> = {
  passed: 'PASS',
  failed: 'FAIL',
  'not-counted': 'VOID',
  'transport-error': 'NONE',
  'not-run': 'MISS',
  skipped: 'once',
  refused: '-',
};

/**
 * The readable matrix: one row per revision with the server's answer, the
 * service-account and MFA verdicts and a count of the other checks, then
 * each failing check's reason.
 */
export function formatMatrix(matrix: Matrix): string {
  const target = matrix.target === matrix.baseUrl ? matrix.target : `${matrix.target} ${matrix.baseUrl}`;
  const lines = [
    `${matrix.collection.name} v${matrix.collection.version}`,
    `target ${target}, ${matrix.rows.length} revision${matrix.rows.length === 1 ? '' : 's'}`,
  ];
  if (matrix.discovery) {
    const found = matrix.discovery.filter((p) => p.isServed).map((p) => p.apiVersion);
    const list = found.length ? `: ${found.join(', ')}` : '';
    lines.push(`swagger probe: ${found.length} of ${matrix.discovery.length} served${list}`);
  }
  lines.push('');

  const header = ['revision', 'first build', 'server', 'service account', 'MFA user', 'other checks'];
  const table = matrix.rows.map((row) => {
    const cell = (id: string) => row.cells.find((c) => c.id === id);
    const show = (id: string) => {
      const c = cell(id);
      if (!c || c.outcome === 'refused') return '-';
      return `${LABEL[c.outcome]} ${c.status ?? '---'}`;
    };
    const others = row.cells.filter((c) => c.id !== 'service-account-token' && c.id !== 'mfa-user-refused');
    const ran = others.filter((c) => c.outcome !== 'skipped' && c.outcome !== 'refused');
    const once = others.length - ran.length;
    const otherText = row.state === 'refused'
      ? '-'
      : `${ran.filter((c) => c.passed).length}/${ran.length} passed${once > 0 ? `, ${once} once per matrix` : ''}`;
    return [
      row.apiVersion,
      revisionOf(row.apiVersion)?.firstBuild ?? '?',
      row.state,
      show('service-account-token'),
      show('mfa-user-refused'),
      otherText,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
  const render = (cells: string[]) => `  ${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ')}`;
  lines.push(render(header), ...table.map(render));

  const failing = matrix.rows.flatMap((row) =>
    row.cells
      .filter((c) => !c.passed && c.outcome !== 'skipped' && c.outcome !== 'refused')
      .map((c) => `  ${row.apiVersion} ${c.id}: ${c.reason}`),
  );
  if (failing.length > 0) lines.push('', 'failing:', ...failing);
  return `${lines.join('\n')}\n`;
}

/** What changed since the baseline, regressions first. */
export function formatComparison(comparison: Comparison, file: string): string {
  const { baseline } = comparison;
  const build = baseline.server?.buildVersion ?? 'unknown';
  const lines = [
    `since baseline ${file} (recorded ${baseline.recordedAt}, collection v${baseline.collection.version}, server build ${build}):`,
  ];
  const ordered = [
    ...comparison.changes.filter((c) => c.severity === 'regression'),
    ...comparison.changes.filter((c) => c.severity === 'benign'),
  ];
  for (const change of ordered) {
    const label = change.severity === 'regression' ? 'REGRESSION' : 'benign    ';
    lines.push(`  ${label}  ${change.apiVersion ? `${change.apiVersion}  ` : ''}${change.summary}`);
  }
  if (ordered.length === 0) lines.push('  no change');
  return `${lines.join('\n')}\n`;
}

/** The closing line: the verdict and its details. */
export function formatOverall(overall: Overall): string {
  return `${[`${overall.label}: ${overall.headline}`, ...overall.details.map((d) => `  ${d}`)].join('\n')}\n`;
}
