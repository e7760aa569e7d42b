import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Collection versioning. Each collection carries a semver in `info.version`;
 * `collections/versions.json` records, per file and version, the sha256 of
 * the collection's canonical form; `collections/CHANGELOG.md` has an entry
 * per version; and every older version is kept runnable as
 * `collections/archive/<name>@<version>.postman_collection.json`.
 */

export const COLLECTION_SUFFIX = '.postman_collection.json';
export const VERSIONS_FILE = 'versions.json';
export const CHANGELOG_FILE = 'CHANGELOG.md';
export const ARCHIVE_DIR = 'archive';
export const RECORD_COMMAND = 'node scripts/record-collection-hash.js';

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

export type VersionRecords = {
  algorithm: string;
  /** file name → version → sha256 of the canonical form, in hex. */
  collections: Record<string, Record<string, string>>;
};

export const HASH_ALGORITHM =
  'sha256 of the canonical JSON: object keys sorted, no whitespace, info.version left out';

export function isSemver(value: unknown): value is string {
  return typeof value === 'string' && SEMVER.test(value);
}

/** Orders two semvers (x.y.z only, no pre-release tags). */
export function compareSemver(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i += 1) {
    if (pa[i] !== pb[i]) return pa[i] - pb[i];
  }
  return 0;
}

/**
 * The collection as one line of JSON with object keys sorted and
 * `info.version` left out, so neither formatting nor key order nor the
 * version number itself changes the hash; every other byte of content does.
 */
export function canonicalCollection(json: unknown): string {
  const copy = structuredClone(json) as Record<string, unknown>;
  const info = copy?.info as Record<string, unknown> | undefined;
  if (info && typeof info === 'object') delete info.version;
  return JSON.stringify(sortKeys(copy));
}

export function collectionHash(json: unknown): string {
  return createHash('sha256').update(canonicalCollection(json)).digest('hex');
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    out[key] = sortKeys((value as Record<string, unknown>)[key]);
  }
  return out;
}

/** `vbr-auth.postman_collection.json` at `1.0.0` → `vbr-auth@1.0.0.postman_collection.json`. */
export function archiveName(file: string, version: string): string {
  return `${file.slice(0, -COLLECTION_SUFFIX.length)}@${version}${COLLECTION_SUFFIX}`;
}

export function readVersionRecords(collectionsDir: string): VersionRecords {
  const file = path.join(collectionsDir, VERSIONS_FILE);
  if (!existsSync(file)) return { algorithm: HASH_ALGORITHM, collections: {} };
  return JSON.parse(readFileSync(file, 'utf8')) as VersionRecords;
}

/** versions.json as the record script writes it: files and versions in order. */
export function serializeVersionRecords(records: VersionRecords): string {
  const collections: VersionRecords['collections'] = {};
  for (const file of Object.keys(records.collections).sort()) {
    const versions = records.collections[file];
    collections[file] = {};
    for (const version of Object.keys(versions).sort(compareSemver)) {
      collections[file][version] = versions[version];
    }
  }
  return `${JSON.stringify({ algorithm: HASH_ALGORITHM, collections }, null, 2)}\n`;
}

/** Versions that have a `### <version>` heading under `## <file>`. */
export function changelogVersions(changelog: string, file: string): Set<string> {
  const versions = new Set<string>();
  let isInSection = false;
  for (const line of changelog.split(/\r?\n/)) {
    const section = /^##\s+(\S+)\s*$/.exec(line);
    if (section) {
      isInSection = section[1] === file;
      continue;
    }
    const entry = /^###\s+(\d+\.\d+\.\d+)(?:\s|$)/.exec(line);
    if (isInSection && entry) versions.add(entry[1]);
  }
  return versions;
}

export type CollectionState = {
  file: string;
  version: unknown;
  hash: string;
  recorded: Record<string, string>;
};

/** The collections in `collectionsDir` (not the archive), sorted by name. */
export function collectionFiles(collectionsDir: string): string[] {
  return readdirSync(collectionsDir)
    .filter((name) => name.endsWith(COLLECTION_SUFFIX))
    .sort();
}

export function readCollectionJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

/**
 * Everything wrong with the versioning of the collections in
 * `collectionsDir`, each problem as a message that says what to do. An
 * empty list means every collection, record, changelog entry and archive
 * agrees.
 */
export function versionProblems(collectionsDir: string): string[] {
  const problems: string[] = [];
  const records = readVersionRecords(collectionsDir);
  const changelogFile = path.join(collectionsDir, CHANGELOG_FILE);
  const changelog = existsSync(changelogFile) ? readFileSync(changelogFile, 'utf8') : '';
  const where = path.basename(collectionsDir);

  for (const file of collectionFiles(collectionsDir)) {
    const json = readCollectionJson(path.join(collectionsDir, file));
    const version = (json.info as Record<string, unknown> | undefined)?.version;
    const recorded = records.collections[file] ?? {};
    const hash = collectionHash(json);

    if (!isSemver(version)) {
      problems.push(
        `${where}/${file}: info.version is ${JSON.stringify(version ?? null)}, not a semver (x.y.z)\n` +
          `  set info.version, add its entry to ${where}/${CHANGELOG_FILE}, then run ${RECORD_COMMAND}`,
      );
      continue;
    }

    problems.push(...contentProblems(where, file, version, hash, recorded));

    const logged = changelogVersions(changelog, file);
    for (const v of new Set([version, ...Object.keys(recorded)])) {
      if (!logged.has(v)) {
        problems.push(
          `${where}/${file}: version ${v} has no entry in ${where}/${CHANGELOG_FILE}\n` +
            `  add a "### ${v}" heading under "## ${file}" that says what changed`,
        );
      }
    }

    problems.push(...archiveProblems(collectionsDir, file, version, recorded));
  }
  return problems;
}

function contentProblems(
  where: string,
  file: string,
  version: string,
  hash: string,
  recorded: Record<string, string>,
): string[] {
  const steps = (next: string) =>
    `  to release the change:\n` +
    `    1. bump info.version in ${where}/${file} (for example to ${next})\n` +
    `    2. add a "### ${next}" entry under "## ${file}" in ${where}/${CHANGELOG_FILE}\n` +
    `    3. run ${RECORD_COMMAND} (it archives the previous version and records the new hash in ${where}/${VERSIONS_FILE})`;

  const newest = Object.keys(recorded).sort(compareSemver).pop();
  if (recorded[version] === undefined) {
    if (newest && compareSemver(version, newest) < 0) {
      return [`${where}/${file}: info.version ${version} is older than the newest recorded version ${newest}\n` +
        `  versions only go up: set info.version above ${newest}`];
    }
    return [`${where}/${file}: version ${version} has no recorded hash\n` +
      `  run ${RECORD_COMMAND} to record it (and add its "### ${version}" entry to ${where}/${CHANGELOG_FILE})`];
  }
  if (recorded[version] !== hash) {
    return [`${where}/${file} changed, but info.version is still ${version}, whose recorded content differs\n${steps(nextPatch(version))}`];
  }
  if (newest && newest !== version) {
    return [`${where}/${file}: info.version ${version} is not the newest recorded version (${newest})\n` +
      `  the file in ${where}/ is always the newest version; older ones live in ${where}/${ARCHIVE_DIR}/`];
  }
  return [];
}

function archiveProblems(
  collectionsDir: string,
  file: string,
  version: string,
  recorded: Record<string, string>,
): string[] {
  const where = path.basename(collectionsDir);
  const problems: string[] = [];
  for (const [older, hash] of Object.entries(recorded)) {
    if (older === version) continue;
    const name = archiveName(file, older);
    const archived = path.join(collectionsDir, ARCHIVE_DIR, name);
    if (!existsSync(archived)) {
      problems.push(`${where}/${ARCHIVE_DIR}/${name} is missing, so version ${older} can no longer be run\n` +
        `  run ${RECORD_COMMAND}: it restores the archive from git history`);
      continue;
    }
    const json = readCollectionJson(archived);
    const archivedVersion = (json.info as Record<string, unknown> | undefined)?.version;
    if (archivedVersion !== older || collectionHash(json) !== hash) {
      problems.push(`${where}/${ARCHIVE_DIR}/${name} does not hold version ${older} as recorded\n` +
        `  archives never change: restore it from git history (git log -- ${where}/${ARCHIVE_DIR}/${name})`);
    }
  }
  return problems;
}

function nextPatch(version: string): string {
  const [major, minor, patch] = version.split('.').map(Number);
  return `${major}.${minor}.${patch + 1}`;
}
