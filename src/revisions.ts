/**
 * VBR releases and the `x-api-version` revision each one introduced, from
 * Veeam's REST API reference (versioning page) and the v13 docs' status column.
 */
export type RevisionStatus = 'unsupported' | 'deprecated' | 'supported';

export type Revision = {
  apiVersion: string;
  firstBuild: string;
  status: RevisionStatus;
};

export const REVISIONS: readonly Revision[] = [
  { apiVersion: '1.0-rev1', firstBuild: '11.0.0.837', status: 'unsupported' },
  { apiVersion: '1.0-rev2', firstBuild: '11.0.1.1261', status: 'unsupported' },
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

/** The revisions a server of `apiVersion`'s release serves, per the docs. */
export function revisionsServedBy(apiVersion: string): string[] {
  return REVISIONS.filter(
    (r) =>
      r.status !== 'unsupported' &&
      compareApiVersions(r.apiVersion, apiVersion) <= 0,
  ).map((r) => r.apiVersion);
}
