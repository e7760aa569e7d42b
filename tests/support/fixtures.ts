import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { CheckId } from '../../src/checks';
import { loadCollection, type CollectionFile } from '../../src/config/collection';
import type { Credentials } from '../../src/config/credentials';
import { COLLECTION_FILE } from './harness';

type Item = {
  name: string;
  item?: Item[];
  event?: { listen: string }[];
  request?: unknown;
};

/**
 * The shipped collection, deep-copied and changed in memory, so a test can
 * break one request without touching the file.
 */
export function editedCollection(
  change: (requestsOf: (check: CheckId) => Item[], json: Record<string, unknown>) => void,
): CollectionFile {
  const original = loadCollection(COLLECTION_FILE);
  const json = structuredClone(original.json);
  const folders = json.item as Item[];
  const requestsOf = (check: CheckId) => {
    const folder = folders.find((f) => f.name === check);
    if (!folder?.item) throw new Error(`the collection has no folder ${check}`);
    return folder.item;
  };

  change(requestsOf, json);
  return { ...original, json };
}

/** Replaces `{{from}}` with `{{to}}` everywhere in one check's requests. */
export function renameVariable(item: Item, from: string, to: string): void {
  const text = JSON.stringify(item.request).split(`{{${from}}}`).join(`{{${to}}}`);
  item.request = JSON.parse(text);
}

/** A loopback port that was just free and now refuses connections. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A fresh temporary folder and a function that removes it. */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'veeam-auth-test-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The process-environment names the CLI reads credentials from. */
export const CREDENTIAL_ENV = {
  serviceAccountUsername: 'VBR_SERVICE_ACCOUNT_USERNAME',
  serviceAccountPassword: 'VBR_SERVICE_ACCOUNT_PASSWORD',
  mfaUsername: 'VBR_MFA_USERNAME',
  mfaPassword: 'VBR_MFA_PASSWORD',
} as const;

/** Credentials as the process environment would hold them. */
export function credentialEnv(credentials: Credentials): Record<string, string> {
  return Object.fromEntries(
    (Object.keys(CREDENTIAL_ENV) as (keyof Credentials)[]).map((key) => [
      CREDENTIAL_ENV[key],
      credentials[key],
    ]),
  );
}

/**
 * Sets variables in this process's environment and returns a function that
 * puts back what was there before.
 */
export function setProcessEnv(values: Record<string, string>): () => void {
  const before = Object.fromEntries(
    Object.keys(values).map((key) => [key, process.env[key]]),
  );
  Object.assign(process.env, values);
  return () => {
    for (const [key, value] of Object.entries(before)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}
