import {
  knownReleases,
  LATEST_API_VERSION,
  REVISIONS,
  revisionOf,
  revisionOfRelease,
  revisionsServedBy,
} from '../../src/revisions';

describe('REVISIONS', () => {
  it('holds the releases table of the VBR REST reference, row for row', () => {
    const rows = REVISIONS.map((r) => [r.apiVersion, r.firstBuild, r.status]);

    expect(rows).toEqual([
      ['1.0-rev1', '11.0.0.837', 'unsupported'],
      ['1.0-rev2', '11.0.1.1261', 'unsupported'],
      ['1.1-rev0', '12.0.0.1420', 'deprecated'],
      ['1.1-rev1', '12.1.0.2131', 'deprecated'],
      ['1.1-rev2', '12.2.0.334', 'deprecated'],
      ['1.2-rev0', '12.3.0.310', 'deprecated'],
      ['1.2-rev1', '12.3.1.1139', 'deprecated'],
      ['1.3-rev0', '13.0.0.4967', 'supported'],
      ['1.3-rev1', '13.0.1.180', 'supported'],
      ['1.3-rev2', '13.1.0.411', 'supported'],
    ]);
  });
});

describe('revisionsServedBy', () => {
  it('lets a v11 server serve its own revision', () => {
    const served = revisionsServedBy('1.0-rev1');

    expect(served).toEqual(['1.0-rev1']);
  });

  it('lets a 12.3 server serve every older revision and nothing newer', () => {
    const served = revisionsServedBy('1.2-rev1');

    expect(served).toEqual(['1.0-rev1', '1.0-rev2', '1.1-rev0', '1.1-rev1', '1.1-rev2', '1.2-rev0', '1.2-rev1']);
  });

  it('drops the 1.0 revisions from 13.0 on', () => {
    const served = revisionsServedBy('1.3-rev0');

    expect(served[0]).toBe('1.1-rev0');
    expect(served[served.length - 1]).toBe('1.3-rev0');
  });
});

describe('revisionOfRelease', () => {
  it('takes a major.minor release to its newest revision', () => {
    const revisions = ['11.0', '12.3', '13.0', '13.1'].map((r) => revisionOfRelease(r)?.apiVersion);

    expect(revisions).toEqual(['1.0-rev2', '1.2-rev1', '1.3-rev1', '1.3-rev2']);
  });

  it('takes a patch release or a full build to its own revision', () => {
    const revisions = ['12.3.0', '12.3.0.310', '13.0.0.4967'].map((r) => revisionOfRelease(r)?.apiVersion);

    expect(revisions).toEqual(['1.2-rev0', '1.2-rev0', '1.3-rev0']);
  });

  it('takes latest to the latest revision and knows no other release', () => {
    const latest = revisionOfRelease('latest');
    const unknown = ['14.0', '12.4', '1', '12.', '13.1.0.41'].map(revisionOfRelease);

    expect(latest?.apiVersion).toBe(LATEST_API_VERSION);
    expect(unknown).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });
});

describe('knownReleases', () => {
  it('lists each major.minor release once, oldest first', () => {
    const releases = knownReleases();

    expect(releases).toEqual(['11.0', '12.0', '12.1', '12.2', '12.3', '13.0', '13.1']);
  });
});

describe('revisionOf', () => {
  it('finds a revision of the table and nothing else', () => {
    const found = revisionOf('1.2-rev0');
    const missing = revisionOf('1.4-rev0');

    expect(found?.firstBuild).toBe('12.3.0.310');
    expect(missing).toBeUndefined();
  });
});
