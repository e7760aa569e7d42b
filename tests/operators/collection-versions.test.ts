import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { loadCollection } from '../../src/config/collection';
import {
  archiveName,
  canonicalCollection,
  collectionHash,
  readVersionRecords,
  versionProblems,
} from '../../src/collection-versions';
import { COLLECTIONS, collectionsCopy, type Scratch } from './support';

function editJson(file: string, change: (json: Record<string, any>) => void): void {
  const json = JSON.parse(readFileSync(file, 'utf8'));
  change(json);
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
}

describe('the committed collections', () => {
  it('match the hash recorded for their version, with a CHANGELOG entry and an archive for each older one', () => {
    const problems = versionProblems(COLLECTIONS);

    // On failure the message lists what to do for each collection.
    expect(problems.join('\n\n')).toBe('');
  });

  it('keep every older recorded version runnable from collections/archive', () => {
    const records = readVersionRecords(COLLECTIONS);

    for (const [file, versions] of Object.entries(records.collections)) {
      const current = loadCollection(path.join(COLLECTIONS, file)).version;
      for (const version of Object.keys(versions).filter((v) => v !== current)) {
        const archived = loadCollection(path.join(COLLECTIONS, 'archive', archiveName(file, version)));
        expect(archived.version).toBe(version);
      }
    }
  });

  it('hold no archive that is not a recorded version', () => {
    const records = readVersionRecords(COLLECTIONS);
    const expected = Object.entries(records.collections).flatMap(([file, versions]) =>
      Object.keys(versions).map((v) => archiveName(file, v)),
    );

    const archived = readdirSync(path.join(COLLECTIONS, 'archive'));

    expect(archived.filter((name) => !expected.includes(name))).toEqual([]);
  });
});

describe('collectionHash', () => {
  it('ignores key order, whitespace and info.version', () => {
    const a = { info: { name: 'x', version: '1.0.0' }, item: [{ name: 'a', id: '1' }] };
    const b = JSON.parse(JSON.stringify({ item: [{ id: '1', name: 'a' }], info: { version: '2.0.0', name: 'x' } }));

    const hashes = [collectionHash(a), collectionHash(b)];

    expect(hashes[0]).toBe(hashes[1]);
    expect(canonicalCollection(a)).toBe('{"info":{"name":"x"},"item":[{"id":"1","name":"a"}]}');
  });

  it('changes when a description, a script line or the item order changes', () => {
    const base = { info: { name: 'x' }, item: [{ name: 'a' }, { name: 'b', description: 'd' }] };

    const variants = [
      { ...base, item: [{ name: 'a' }, { name: 'b', description: 'D' }] },
      { ...base, item: [{ name: 'b', description: 'd' }, { name: 'a' }] },
    ];

    for (const variant of variants) expect(collectionHash(variant)).not.toBe(collectionHash(base));
  });
});

describe('versionProblems', () => {
  let copy: Scratch;
  const file = () => path.join(copy.dir, 'vbr-auth.postman_collection.json');

  beforeEach(() => {
    copy = collectionsCopy();
  });

  afterEach(() => copy.remove());

  it('tells what to do when the content changes without a version bump', () => {
    editJson(file(), (json) => {
      json.item[0].description += ' Edited.';
    });

    const problems = versionProblems(copy.dir);

    expect(problems).toHaveLength(1);
    const [message] = problems;
    expect(message).toMatch(/^collections\/vbr-auth\.postman_collection\.json changed, but info\.version is still \d+\.\d+\.\d+, whose recorded content differs\n/);
    expect(message).toContain('bump info.version');
    expect(message).toContain('entry under "## vbr-auth.postman_collection.json" in collections/CHANGELOG.md');
    expect(message).toContain('run node scripts/record-collection-hash.js');
  });

  it('asks for the hash to be recorded after a bump', () => {
    editJson(file(), (json) => {
      json.info.version = '9.0.0';
    });

    const problems = versionProblems(copy.dir);

    expect(problems).toContain(
      'collections/vbr-auth.postman_collection.json: version 9.0.0 has no recorded hash\n' +
        '  run node scripts/record-collection-hash.js to record it (and add its "### 9.0.0" entry to collections/CHANGELOG.md)',
    );
    expect(problems.some((p) => p.startsWith('collections/vbr-auth.postman_collection.json: version 9.0.0 has no entry in collections/CHANGELOG.md'))).toBe(true);
  });

  it('refuses a version that is not a semver', () => {
    editJson(file(), (json) => {
      json.info.version = 'v2';
    });

    const problems = versionProblems(copy.dir);

    expect(problems[0]).toMatch(/^collections\/vbr-auth\.postman_collection\.json: info\.version is "v2", not a semver \(x\.y\.z\)\n/);
  });

  it('reports a recorded version whose CHANGELOG entry is gone', () => {
    const changelog = path.join(copy.dir, 'CHANGELOG.md');
    writeFileSync(changelog, readFileSync(changelog, 'utf8').replace('### 1.0.0', '### 1.0.0-gone'));

    const problems = versionProblems(copy.dir);

    expect(problems).toEqual([
      'collections/vbr-auth.postman_collection.json: version 1.0.0 has no entry in collections/CHANGELOG.md\n' +
        '  add a "### 1.0.0" heading under "## vbr-auth.postman_collection.json" that says what changed',
    ]);
  });

  it('reports an archive that was edited', () => {
    editJson(path.join(copy.dir, 'archive', 'vbr-auth@1.0.0.postman_collection.json'), (json) => {
      json.info.description = 'rewritten';
    });

    const problems = versionProblems(copy.dir);

    expect(problems).toEqual([
      'collections/archive/vbr-auth@1.0.0.postman_collection.json does not hold version 1.0.0 as recorded\n' +
        '  archives never change: restore it from git history (git log -- collections/archive/vbr-auth@1.0.0.postman_collection.json)',
    ]);
  });
});
