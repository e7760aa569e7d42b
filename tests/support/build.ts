import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

import { ROOT } from './harness';

const SRC = path.join(ROOT, 'src');
const DIST = path.join(ROOT, 'dist');

/**
 * Builds dist/ when a file of src/ has no output there or a newer one than
 * its output, so a test that spawns bin/veeam-auth.js runs the code under
 * test, not a stale build.
 */
export function ensureBuilt(): void {
  if (staleSources().length === 0) return;

  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    throw new Error(
      `the build (tsc -p tsconfig.build.json) failed:\n${result.stdout}${result.stderr}`,
    );
  }
}

/** Source files whose compiled output is missing or older than they are. */
function staleSources(): string[] {
  return sourcesUnder(SRC).filter((source) => {
    const output = path.join(DIST, path.relative(SRC, source)).replace(/\.ts$/, '.js');
    return modifiedAt(output) < modifiedAt(source);
  });
}

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourcesUnder(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

function modifiedAt(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}
