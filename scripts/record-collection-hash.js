#!/usr/bin/env node
'use strict';

// Records the content hash of each collection's current version in
// collections/versions.json, and keeps every older recorded version
// runnable by restoring its archive from git history when it is missing.
//
//   node scripts/record-collection-hash.js           record new versions
//   node scripts/record-collection-hash.js --amend   re-record a version whose
//                                                    content changed before it
//                                                    was ever released
//
// It builds the library first, so the hash is computed by the same code
// the versioning test runs.

const { execFileSync, spawnSync } = require('node:child_process');
const { existsSync, mkdirSync, readFileSync, writeFileSync } = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const COLLECTIONS = path.join(ROOT, 'collections');
const isAmend = process.argv.includes('--amend');

function build() {
  const tsc = require.resolve('typescript/bin/tsc', { paths: [ROOT] });
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    fail('the build failed, so no hash was recorded', 'fix the type errors above, then run this again');
  }
}

function fail(message, hint) {
  process.stderr.write(`error: ${message}\n  hint: ${hint}\n`);
  process.exit(1);
}

function git(args) {
  return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

/** Finds, in git history, the content recorded for `version` of `file`. */
function fromHistory(v, file, version, hash) {
  const candidates = [
    `collections/${file}`,
    `collections/${v.ARCHIVE_DIR}/${v.archiveName(file, version)}`,
  ];
  for (const candidate of candidates) {
    let commits = [];
    try {
      commits = git(['log', '--format=%H', '--', candidate]).split('\n').filter(Boolean);
    } catch {
      return null;
    }
    for (const commit of commits) {
      let text;
      try {
        text = git(['show', `${commit}:${candidate}`]);
      } catch {
        continue;
      }
      let json;
      try {
        json = JSON.parse(text);
      } catch {
        continue;
      }
      if (json?.info?.version === version && v.collectionHash(json) === hash) return text;
    }
  }
  return null;
}

function main() {
  build();
  const v = require(path.join(ROOT, 'dist', 'collection-versions.js'));

  const records = v.readVersionRecords(COLLECTIONS);
  const changelogFile = path.join(COLLECTIONS, v.CHANGELOG_FILE);
  const changelog = existsSync(changelogFile) ? readFileSync(changelogFile, 'utf8') : '';
  const notes = [];

  for (const file of v.collectionFiles(COLLECTIONS)) {
    const json = v.readCollectionJson(path.join(COLLECTIONS, file));
    const version = json?.info?.version;
    if (!v.isSemver(version)) {
      fail(`collections/${file}: info.version is not a semver (x.y.z)`, 'set info.version, for example to 1.0.0');
    }

    const recorded = (records.collections[file] ??= {});
    const hash = v.collectionHash(json);
    const newest = Object.keys(recorded).sort(v.compareSemver).pop();

    if (recorded[version] !== undefined && recorded[version] !== hash && !isAmend) {
      fail(
        `collections/${file}: version ${version} is already recorded with other content`,
        'bump info.version and add its CHANGELOG entry; use --amend only for a version that was never released',
      );
    }
    if (recorded[version] === undefined && newest && v.compareSemver(version, newest) < 0) {
      fail(`collections/${file}: info.version ${version} is older than the recorded ${newest}`, `set info.version above ${newest}`);
    }

    // Archive every older version before the new one replaces it for good.
    for (const [older, olderHash] of Object.entries(recorded)) {
      if (older === version) continue;
      const archived = path.join(COLLECTIONS, v.ARCHIVE_DIR, v.archiveName(file, older));
      if (existsSync(archived)) continue;
      const text = fromHistory(v, file, older, olderHash);
      if (text === null) {
        fail(
          `cannot find version ${older} of collections/${file} in git history to archive it`,
          `restore collections/${v.ARCHIVE_DIR}/${v.archiveName(file, older)} by hand, then run this again`,
        );
      }
      mkdirSync(path.dirname(archived), { recursive: true });
      writeFileSync(archived, text);
      notes.push(`archived ${file} ${older} as collections/${v.ARCHIVE_DIR}/${v.archiveName(file, older)}`);
    }

    if (recorded[version] !== hash) {
      recorded[version] = hash;
      notes.push(`recorded ${file} ${version} ${hash}`);
    }
    if (!v.changelogVersions(changelog, file).has(version)) {
      notes.push(`warning: add a "### ${version}" entry under "## ${file}" in collections/${v.CHANGELOG_FILE}`);
    }
  }

  writeFileSync(path.join(COLLECTIONS, v.VERSIONS_FILE), v.serializeVersionRecords(records));
  process.stdout.write(`${notes.length > 0 ? notes.join('\n') : 'nothing to record: every version is up to date'}\n`);
}

main();
