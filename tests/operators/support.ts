import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { cli, type CliResult } from '../support/harness';


export const ROOT = path.resolve(__dirname, '..', '..');
export const COLLECTIONS = path.join(ROOT, 'collections');
export const COLLECTION_FILE = path.join(COLLECTIONS, 'vbr-auth.postman_collection.json');
export const FIXTURES = path.join(__dirname, 'fixtures');

export type Scratch = { dir: string; remove: () => void };

/** A temporary folder, removed by `remove`. */
export function scratch(): Scratch {
  const dir = mkdtempSync(path.join(tmpdir(), 'veeam-auth-operators-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A scratch copy of collections/, to break on purpose. */
export function collectionsCopy(): Scratch {
  const copy = scratch();
  cpSync(COLLECTIONS, path.join(copy.dir, 'collections'), { recursive: true });
  return { dir: path.join(copy.dir, 'collections'), remove: copy.remove };
}

export type { CliResult };

/** Runs the CLI in this process; `untilStopped` runs while `sim` serves. */
export function runCli(
  argv: string[],
  options: { cwd?: string; untilStopped?: (stdout: () => string) => Promise<void> } = {},
): Promise<CliResult> {
  return cli(argv, options);
}
