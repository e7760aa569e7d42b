import type { Verdict } from '../run-checks';

const LABEL = {
  passed: 'PASS',
  failed: 'FAIL',
  'not-counted': 'VOID',
  'transport-error': 'NONE',
  'not-run': 'MISS',
} as const;

/** The readable verdict: one row per check, then a summary line. */
export function formatVerdict(verdict: Verdict): string {
  const width = Math.max(...verdict.checks.map((c) => c.id.length));
  const lines = [
    `${verdict.collection.name} v${verdict.collection.version}`,
    `target ${verdict.target}, x-api-version ${verdict.apiVersion}`,
    '',
  ];

  const observed = (check: Verdict['checks'][number]) =>
    [check.status ?? '---', check.errorCode ?? ''].join(' ').trim();
  const observedWidth = Math.max(...verdict.checks.map((c) => observed(c).length));

  for (const check of verdict.checks) {
    lines.push(`  ${LABEL[check.outcome]}  ${check.id.padEnd(width)}  ${observed(check).padEnd(observedWidth)}  ${check.expectation}`);
    if (!check.passed) lines.push(`        ${' '.repeat(width)}  ${check.reason}`);
  }

  const passed = verdict.checks.filter((c) => c.passed).length;
  const failed = verdict.checks.filter((c) => !c.passed).map((c) => c.id);
  lines.push('');
  for (const error of verdict.errors.filter((e) => e.code !== 'ERR_TRANSPORT')) {
    lines.push(`error: ${error.message}`);
  }
  const voided = verdict.checks.filter((c) => c.outcome === 'not-counted').length;
  lines.push(
    failed.length === 0
      ? `${passed} passed, 0 failed`
      : `${passed} passed, ${failed.length - voided} failed${voided ? `, ${voided} not counted` : ''}: ${failed.join(', ')}`,
  );
  return `${lines.join('\n')}\n`;
}
