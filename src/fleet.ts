import path from 'node:path';

import { readJson } from './config/collection';
import type { Credentials } from './config/credentials';
import { CREDENTIAL_VARIABLES } from './config/credentials';
import { HarnessError } from './errors';
import type { Verdict } from './run-checks';

export type FleetTarget = {
  name: string;
  /** Environment file, resolved against the targets file's folder. */
  env: string;
  caCert?: string;
  /** Process-environment names holding this server's credentials. */
  credentialVariables: Record<keyof Credentials, string>;
};

export type FleetFile = {
  path: string;
  concurrency: number;
  targets: FleetTarget[];
};

export const DEFAULT_FLEET_CONCURRENCY = 8;

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Reads a targets file: `{ "concurrency"?: n, "targets": [{ "name", "env",
 * "caCert"?, "credentials"?: { serviceAccountUsername: "VAR", ... } }] }`.
 * It names variables, never values; omitted names default to the VBR_* ones.
 */
export function loadFleet(file: string): FleetFile {
  const json = readJson(file, 'targets', 'ERR_ENV_FILE');
  const dir = path.dirname(file);
  const bad = (what: string) =>
    new HarnessError('ERR_ENV_FILE', `targets file ${file}: ${what}`, 'see "Fleets" in the README for the format');

  if (!Array.isArray(json.targets) || json.targets.length === 0) {
    throw bad('"targets" must be a non-empty list');
  }
  const concurrency = json.concurrency ?? DEFAULT_FLEET_CONCURRENCY;
  if (!Number.isInteger(concurrency) || (concurrency as number) < 1) {
    throw bad('"concurrency" must be a whole number of at least 1');
  }

  const names = new Set<string>();
  const targets = json.targets.map((raw: unknown, index: number): FleetTarget => {
    const entry = (raw ?? {}) as Record<string, unknown>;
    const label = typeof entry.name === 'string' && entry.name ? entry.name : `#${index + 1}`;
    if (typeof entry.name !== 'string' || !entry.name.trim()) throw bad(`target ${label} has no "name"`);
    if (names.has(entry.name)) throw bad(`two targets are named ${entry.name}`);
    names.add(entry.name);
    if (typeof entry.env !== 'string' || !entry.env) throw bad(`target ${label} has no "env" file`);
    if (entry.caCert !== undefined && typeof entry.caCert !== 'string') throw bad(`target ${label}: "caCert" must be a path`);

    const given = (entry.credentials ?? {}) as Record<string, unknown>;
    const credentialVariables = { ...CREDENTIAL_VARIABLES };
    for (const key of Object.keys(given)) {
      if (!(key in CREDENTIAL_VARIABLES)) throw bad(`target ${label}: unknown credential "${key}"`);
      const name = given[key];
      if (typeof name !== 'string' || !VARIABLE_NAME.test(name)) {
        throw bad(`target ${label}: credentials.${key} must name an environment variable`);
      }
      credentialVariables[key as keyof Credentials] = name;
    }

    return {
      name: entry.name,
      env: path.resolve(dir, entry.env),
      caCert: typeof entry.caCert === 'string' ? path.resolve(dir, entry.caCert) : undefined,
      credentialVariables,
    };
  });

  return { path: file, concurrency: concurrency as number, targets };
}

/** Runs `work` over `items` with at most `limit` under way at once, in order. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;

  const worker = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await work(items[index], index);
    }
  };

  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export type FleetMember = {
  name: string;
  verdict?: Verdict;
  /** Set when the server's run could not produce a verdict at all. */
  error?: { code: string; message: string };
};

/**
 * Runs each prepared target's checks with at most `concurrency` at once. A
 * slow or dead server holds up only its own slot: each run carries its own
 * timeouts, and a failure becomes that member's result, not the fleet's.
 */
export async function runFleet(
  members: readonly { name: string; run: () => Promise<Verdict> }[],
  concurrency: number,
): Promise<FleetMember[]> {
  return mapBounded(members, concurrency, async (member) => {
    try {
      return { name: member.name, verdict: await member.run() };
    } catch (cause) {
      const error = cause instanceof HarnessError
        ? { code: cause.code, message: cause.message }
        : { code: 'ERR_INTERNAL', message: (cause as Error).message ?? String(cause) };
      return { name: member.name, error };
    }
  });
}
