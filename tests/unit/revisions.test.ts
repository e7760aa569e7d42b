import {
  compareApiVersions,
  isApiVersion,
  LATEST_API_VERSION,
  REVISIONS,
  revisionsServedBy,
} from '../../src/revisions';

describe('isApiVersion', () => {
  it('accepts <major>.<minor>-rev<N>', () => {
    const values = ['1.0-rev1', '1.3-rev2', '10.12-rev30'];

    const results = values.map(isApiVersion);

    expect(results).toEqual([true, true, true]);
  });

  it('rejects a leading v, a missing revision and padding', () => {
    const values = ['v1.3-rev2', '1.3', '1.3-rev', ' 1.3-rev2', '1.3-Rev2', '1-rev0'];

    const results = values.map(isApiVersion);

    expect(results).toEqual([false, false, false, false, false, false]);
  });
});

describe('compareApiVersions', () => {
  it('orders by major, minor, then revision, numerically', () => {
    const shuffled = ['1.10-rev0', '1.3-rev2', '1.3-rev10', '1.0-rev1', '2.0-rev0'];

    const sorted = [...shuffled].sort(compareApiVersions);

    expect(sorted).toEqual(['1.0-rev1', '1.3-rev2', '1.3-rev10', '1.10-rev0', '2.0-rev0']);
  });

  it('finds two equal revisions equal', () => {
    const result = compareApiVersions('1.3-rev1', '1.3-rev1');

    expect(result).toBe(0);
  });

  it('throws a TypeError naming the value that is no revision', () => {
    const compareFirst = () => compareApiVersions('v1.3-rev2', '1.3-rev2');
    const compareSecond = () => compareApiVersions('1.3-rev2', 'latest');

    expect(compareFirst).toThrow(new TypeError('not an API revision: v1.3-rev2'));
    expect(compareSecond).toThrow(new TypeError('not an API revision: latest'));
  });
});

describe('REVISIONS', () => {
  it('lists the revisions in release order, ending with the latest', () => {
    const apiVersions = REVISIONS.map((r) => r.apiVersion);

    const sorted = [...apiVersions].sort(compareApiVersions);

    expect(apiVersions).toEqual(sorted);
    expect(apiVersions[apiVersions.length - 1]).toBe(LATEST_API_VERSION);
  });
});

describe('revisionsServedBy', () => {
  it('serves every supported and deprecated revision up to the latest', () => {
    const served = revisionsServedBy(LATEST_API_VERSION);

    expect(served).toEqual([
      '1.1-rev0',
      '1.1-rev1',
      '1.1-rev2',
      '1.2-rev0',
      '1.2-rev1',
      '1.3-rev0',
      '1.3-rev1',
      '1.3-rev2',
    ]);
  });

  it('serves nothing newer than the release of the given revision', () => {
    const served = revisionsServedBy('1.2-rev1');

    expect(served[served.length - 1]).toBe('1.2-rev1');
    expect(served).not.toContain('1.3-rev0');
  });

  it('serves no 1.0 revision from 13.0 on', () => {
    const releases = ['1.3-rev0', '1.3-rev1', '1.3-rev2'];

    const served = releases.flatMap(revisionsServedBy);

    expect(served).not.toContain('1.0-rev1');
    expect(served).not.toContain('1.0-rev2');
  });
});
