/**
 * VBR releases and the `x-api-version` revision each one introduced, from
 * Veeam's REST API reference (versioning page) and the v13 docs' status column.
 */
export type RevisionStatus = 'unsupported' | 'deprecated' | 'supported';

export type Revision = {
  apiVersion: string;
  firstBuild: string;
  status: RevisionStatus;
  /**
   * The first revision whose servers no longer serve this one. The v13 docs
   * call the 1.0 revisions unsupported; when servers stopped taking them is
   * not documented, so the table assumes 13.0.
   */
  unservedFrom?: string;
};

export const REVISIONS: readonly Revision[] = [
  { apiVersion: '1.0-rev1', firstBuild: '11.0.0.837', status: 'unsupported', unservedFrom: '1.3-rev0' },
  { apiVersion: '1.0-rev2', firstBuild: '11.0.1.1261', status: 'unsupported', unservedFrom: '1.3-rev0' },
  { apiVersion: '1.1-rev0', firstBuild: '12.0.0.1420', status: 'deprecated' },
  { apiVersion: '1.1-rev1', firstBuild: '12.1.0.2131', status: 'deprecated' },
  { apiVersion: '1.1-rev2', firstBuild: '12.2.0.334', status: 'deprecated' },
  { apiVersion: '1.2-rev0', firstBuild: '12.3.0.310', status: 'deprecated' },
  { apiVersion: '1.2-rev1', firstBuild: '12.3.1.1139', status: 'deprecated' },
  { apiVersion: '1.3-rev0', firstBuild: '13.0.0.4967', status: 'supported' },
  { apiVersion: '1.3-rev1', firstBuild: '13.0.1.180', status: 'supported' },
  { apiVersion: '1.3-rev2', firstBuild: '13.1.0.411', status: 'supported' },
];

export const LATEST_API_VERSION = '1.3-rev2';

const API_VERSION_FORM = /^(\d+)\.(\d+)-rev(\d+)$/;

/** True when `value` has the `<major>.<minor>-rev<N>` form, without a `v`. */
export function isApiVersion(value: string): boolean {
  return API_VERSION_FORM.test(value);
}

/** Orders two revisions; both must have the `<major>.<minor>-rev<N>` form. */
export function compareApiVersions(a: string, b: string): number {
  const pa = API_VERSION_FORM.exec(a);
  const pb = API_VERSION_FORM.exec(b);
  if (!pa || !pb) {
    throw new TypeError(`not an API revision: ${pa ? b : a}`);
  }

  for (let i = 1; i <= 3; i += 1) {
    const diff = Number(pa[i]) - Number(pb[i]);
    if (diff !== 0) return diff;
  }
  return 0;
}

/**
 * The revisions a server of `apiVersion`'s release serves, per the docs: its
 * own and every older one not yet retired at that release.
 */
export function revisionsServedBy(apiVersion: string): string[] {
  return REVISIONS.filter(
    (r) =>
      compareApiVersions(r.apiVersion, apiVersion) <= 0 &&
      (r.unservedFrom === undefined ||
        compareApiVersions(apiVersion, r.unservedFrom) < 0),
  ).map((r) => r.apiVersion);
}

/** The table's entry for `apiVersion`, if the table knows it. */
export function revisionOf(apiVersion: string): Revision | undefined {
  return REVISIONS.find((r) => r.apiVersion === apiVersion);
}

/**
 * The newest revision of a VBR release, given as a build or a prefix of one
 * on dot boundaries: `13.1`, `12.3.0`, `12.3.1.1139`, or `latest`.
 * Undefined when no release in the table matches.
 */
export function revisionOfRelease(release: string): Revision | undefined {
  if (release === 'latest') return revisionOf(LATEST_API_VERSION);

  const matching = REVISIONS.filter(
    (r) => r.firstBuild === release || r.firstBuild.startsWith(`${release}.`),
  );
  return matching[matching.length - 1];
}

/** The releases `revisionOfRelease` knows, as major.minor, oldest first. */
export function knownReleases(): string[] {
  const releases = REVISIONS.map((r) => r.firstBuild.split('.').slice(0, 2).join('.'));
  return [...new Set(releases)];
}
