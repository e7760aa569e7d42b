import { HarnessError } from '../errors';
import { isApiVersion } from '../revisions';
import { readJson } from './collection';

export type EnvironmentValue = {
  key: string;
  value: string;
  type?: string;
  enabled?: boolean;
};

export type EnvironmentFile = {
  path: string;
  name: string;
  baseUrl: string;
  apiVersion: string;
  values: EnvironmentValue[];
};

/** Reads a Postman environment and checks it names a server and a revision. */
export function loadEnvironment(file: string): EnvironmentFile {
  const json = readJson(file, 'environment', 'ERR_ENV_FILE');
  if (!Array.isArray(json.values)) {
    throw new HarnessError(
      'ERR_ENV_FILE',
      `environment ${file} has no "values" list`,
      'export it from Postman as an environment, or copy environments/vbr.postman_environment.json',
    );
  }

  const values: EnvironmentValue[] = json.values
    .filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null)
    .filter((v) => typeof v.key === 'string' && v.enabled !== false)
    .map((v) => ({
      key: v.key as string,
      value: v.value === undefined || v.value === null ? '' : String(v.value),
      type: typeof v.type === 'string' ? v.type : undefined,
      enabled: true,
    }));

  // newman takes the last of two values with one key, and a check would
  // run against another server than the verdict names: refuse both.
  const seen = new Set<string>();
  for (const { key } of values) {
    if (seen.has(key)) {
      throw new HarnessError(
        'ERR_ENV_FILE',
        `environment ${file} sets ${key} twice`,
        `keep one ${key} entry (or disable the other in Postman)`,
      );
    }
    seen.add(key);
  }

  const get = (key: string) => values.find((v) => v.key === key)?.value ?? '';
  const baseUrl = get('baseUrl').replace(/\/+$/, '');
  const apiVersion = get('apiVersion');

  if (!baseUrl) {
    throw new HarnessError(
      'ERR_ENV_FILE',
      `environment ${file} does not set baseUrl`,
      'set baseUrl to the server, for example https://vbr.example.com:9419',
    );
  }
  if (!/^https?:\/\/[^/\s@]+$/i.test(baseUrl)) {
    throw new HarnessError(
      'ERR_ENV_FILE',
      `environment ${file}: baseUrl is not a URL of the form https://<host>:<port>`,
      'give scheme, host and port only, for example https://vbr.example.com:9419 (no /api)',
    );
  }
  if (/^http:/i.test(baseUrl)) {
    throw new HarnessError(
      'ERR_ENV_FILE',
      `environment ${file}: baseUrl uses http://, which would send the passwords unencrypted`,
      'VBR serves its REST API over HTTPS only: use https://<host>:9419',
    );
  }
  if (!apiVersion) {
    throw new HarnessError(
      'ERR_ENV_FILE',
      `environment ${file} does not set apiVersion`,
      'set apiVersion to the revision under test, for example 1.3-rev2',
    );
  }
  if (!isApiVersion(apiVersion)) {
    throw new HarnessError(
      'ERR_ENV_FILE',
      `environment ${file}: apiVersion ${JSON.stringify(apiVersion)} is not of the form <major>.<minor>-rev<N>`,
      'write it as Veeam does, without a leading v: for example 1.3-rev2',
    );
  }

  return {
    path: file,
    name: typeof json.name === 'string' ? json.name : file,
    baseUrl,
    apiVersion,
    // newman sends what the values say: the checked, trailing-slash-free URL.
    values: values.map((v) => (v.key === 'baseUrl' ? { ...v, value: baseUrl } : v)),
  };
}
