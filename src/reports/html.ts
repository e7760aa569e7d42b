import type { CheckId } from '../checks';
import type { Comparison } from '../baseline';
import type { CellOutcome, Matrix, MatrixRow } from '../matrix';
import type { Overall } from '../overall';
import { revisionOf } from '../revisions';
import type { ServerBuild } from '../server-probe';
import { escapeHtml } from './escape-html';

export type HtmlReportInput = {
  matrix: Matrix;
  overall: Overall;
  server?: ServerBuild;
  comparison?: Comparison;
};

const SHORT_LABEL: Record<CheckId, string> = {
  'service-account-token': 'service account',
  'token-opens-protected-endpoint': 'token works',
  'mfa-user-refused': 'MFA user',
  'wrong-password-refused': 'wrong password',
  'unsupported-revision-refused': 'unserved revision',
  'logout-revokes-token': 'logout',
};

const CELL_LABEL: Record<CellOutcome, string> = {
  passed: 'PASS',
  failed: 'FAIL',
  'not-counted': 'VOID',
  'transport-error': 'NO RESPONSE',
  'not-run': 'MISSING',
  skipped: 'once per matrix',
  refused: '-',
};

// No scripts, no fetches: the policy lets the page load nothing but itself.
const CSP = "default-src 'none'; style-src 'unsafe-inline'";

const STYLE = `
body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #1f2328; background: #fff; }
main { max-width: 72rem; margin: 0 auto; padding: 0 1.5rem 2rem; }
.verdict { padding: 1.25rem 1.5rem; color: #fff; }
.verdict .label { font-size: 2rem; font-weight: 700; letter-spacing: .05em; margin: 0; }
.verdict h1 { font-size: 1.25rem; font-weight: 600; margin: .25rem 0 0; }
.verdict p { margin: .35rem 0 0; }
.verdict-pass { background: #1a7f37; }
.verdict-fail { background: #cf222e; }
.verdict-regression { background: #82071e; }
.verdict-no-response { background: #9a6700; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dt { color: #59636e; }
dd { margin: 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { border: 1px solid #d1d9e0; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
.o-passed { background: #dafbe1; }
.o-failed, .o-not-counted, .o-not-run { background: #ffebe9; font-weight: 600; }
.o-transport-error { background: #fff8c5; font-weight: 600; }
.o-skipped, .o-refused { color: #59636e; }
.s-refused { color: #59636e; }
.regression { color: #82071e; font-weight: 600; }
code { font-size: 13px; }
`;

/**
 * One self-contained page: the verdict first, then the per-revision table,
 * what changed since the baseline, and why each failing check failed. Every
 * string is HTML-escaped here; the caller redacts.
 */
export function renderHtml(input: HtmlReportInput): string {
  const { matrix, overall } = input;
  const title = `veeam-auth ${overall.label}: ${matrix.target}`;

  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(CSP)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    `<header id="verdict" class="verdict verdict-${overall.status}" role="status">`,
    `<p class="label">${escapeHtml(overall.label)}</p>`,
    `<h1>${escapeHtml(overall.headline)}</h1>`,
    ...overall.details.map((d) => `<p>${escapeHtml(d)}</p>`),
    '</header>',
    '<main>',
    facts(input),
    revisionTable(matrix),
    changes(input.comparison),
    failures(matrix),
    discovery(matrix),
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function facts({ matrix, server }: HtmlReportInput): string {
  const rows: [string, string][] = [
    ['collection', `${matrix.collection.name} v${matrix.collection.version}`],
    ['target', matrix.target === matrix.baseUrl ? matrix.target : `${matrix.target} (${matrix.baseUrl})`],
    ['server build', server ? (server.buildVersion ?? server.note) : 'not read (it is read with --save-baseline or --compare)'],
    ['revisions', planText(matrix)],
    ['started', matrix.startedAt],
    ['took', `${(matrix.durationMs / 1000).toFixed(1)} s`],
  ];
  return [
    '<section id="facts">',
    '<dl>',
    ...rows.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`),
    '</dl>',
    '</section>',
  ].join('\n');
}

function revisionTable(matrix: Matrix): string {
  const ids = (matrix.rows[0]?.cells ?? []).map((c) => c.id);
  const head = [
    '<th scope="col">x-api-version</th>',
    '<th scope="col">first VBR build</th>',
    '<th scope="col">server</th>',
    ...ids.map((id) => `<th scope="col" title="${escapeHtml(id)}">${escapeHtml(SHORT_LABEL[id] ?? id)}</th>`),
  ].join('');

  const body = matrix.rows.map((row) => {
    const cells = row.cells.map((cell) => {
      const status = cell.outcome === 'skipped' || cell.outcome === 'refused' ? '' : ` ${cell.status ?? ''}`;
      const label = `${CELL_LABEL[cell.outcome]}${status}`.trim();
      return `<td class="o-${cell.outcome}" title="${escapeHtml(cell.reason)}">${escapeHtml(label)}</td>`;
    });
    const build = revisionOf(row.apiVersion)?.firstBuild ?? 'not in the table';
    return [
      `<tr><th scope="row">${escapeHtml(row.apiVersion)}</th>`,
      `<td>${escapeHtml(build)}</td>`,
      `<td class="s-${row.state}">${escapeHtml(row.state)}</td>`,
      `${cells.join('')}</tr>`,
    ].join('');
  });

  return [
    '<section id="revisions">',
    '<h2>Per revision</h2>',
    matrix.rows.length === 0
      ? '<p>No revision was run.</p>'
      : `<table>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body.join('\n')}\n</tbody>\n</table>`,
    '</section>',
  ].join('\n');
}

function changes(comparison: Comparison | undefined): string {
  if (!comparison) {
    return [
      '<section id="changes">',
      '<h2>Since the baseline</h2>',
      '<p>No baseline was given (compare with <code>--compare &lt;file&gt;</code>).</p>',
      '</section>',
    ].join('\n');
  }
  const { baseline } = comparison;
  const intro =
    `Baseline recorded ${baseline.recordedAt} against ${baseline.target}, ` +
    `collection v${baseline.collection.version}, server build ${baseline.server?.buildVersion ?? 'unknown'}.`;
  const items = comparison.changes.map((c) => {
    const where = c.apiVersion ? `${c.apiVersion}: ` : '';
    const cls = c.severity === 'regression' ? ' class="regression"' : '';
    return `<li${cls}>${escapeHtml(c.severity === 'regression' ? 'regression' : 'benign')} &mdash; ${escapeHtml(where + c.summary)}</li>`;
  });
  return [
    '<section id="changes">',
    '<h2>Since the baseline</h2>',
    `<p>${escapeHtml(intro)}</p>`,
    items.length === 0 ? '<p>Nothing changed.</p>' : `<ul>\n${items.join('\n')}\n</ul>`,
    '</section>',
  ].join('\n');
}

function failures(matrix: Matrix): string {
  const items = matrix.rows.flatMap((row: MatrixRow) =>
    row.cells
      .filter((c) => !c.passed && c.outcome !== 'skipped' && c.outcome !== 'refused')
      .map((c) => {
        const seen = [String(c.status ?? 'no response'), c.errorCode].filter(Boolean).join(' ');
        return `<li><strong>${escapeHtml(row.apiVersion)} ${escapeHtml(c.id)}</strong> (${escapeHtml(seen)}): ${escapeHtml(c.reason)}</li>`;
      }),
  );
  const problems = matrix.problems.map((p) => `<li><strong>${escapeHtml(p)}</strong></li>`);
  if (items.length + problems.length === 0) return '';
  return [
    '<section id="failures">',
    '<h2>What failed</h2>',
    `<ul>\n${[...problems, ...items].join('\n')}\n</ul>`,
    '</section>',
  ].join('\n');
}

function discovery(matrix: Matrix): string {
  if (!matrix.discovery) return '';
  const items = matrix.discovery.map(
    (p) => `<li><code>GET /swagger/v${escapeHtml(p.apiVersion)}/swagger.json</code> &rarr; ${escapeHtml(String(p.status))}</li>`,
  );
  return ['<section id="discovery">', '<h2>Swagger probe</h2>', `<ul>\n${items.join('\n')}\n</ul>`, '</section>'].join('\n');
}

function planText(matrix: Matrix): string {
  switch (matrix.plan.kind) {
    case 'single':
      return `the environment's ${matrix.rows[0]?.apiVersion ?? ''}`;
    case 'revisions':
      return matrix.plan.apiVersions.join(', ');
    case 'discover':
      return `served among ${matrix.plan.candidates.join(', ')} (swagger probe)`;
  }
}

