import {
  constants,
  copyFileSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';

import type { CollectionFile } from './config/collection';
import { HarnessError } from './errors';
import { LATEST_API_VERSION } from './revisions';
import { stableId } from './stable-id';

/**
 * What an operator imports into Postman: the collection, cleaned of
 * anything a run could have captured, and an environment template whose
 * secrets are typed `secret` and empty. Ids are derived from the
 * collection, so every export of the same version is byte-for-byte the
 * same and a re-import updates rather than duplicates.
 */

export type PostmanExport = {
  collectionFileName: string;
  environmentFileName: string;
  collection: Record<string, unknown>;
  environment: PostmanEnvironment;
};

export type PostmanEnvironment = {
  id: string;
  name: string;
  values: EnvironmentValue[];
  _postman_variable_scope: 'environment';
};

export type EnvironmentValue = {
  key: string;
  value: string;
  type: 'default' | 'secret';
  enabled: boolean;
  description: string;
};

export type ExportOptions = {
  dir: string;
  collection: CollectionFile;
  /** Overwrite files that already exist; without it the export refuses. */
  isForced?: boolean;
};

export type ExportResult = {
  files: string[];
  collection: { name: string; version: string };
};

type Known = { type: 'default' | 'secret'; value: string; description: string };

const KNOWN: Record<string, Known> = {
  baseUrl: {
    type: 'default',
    value: '',
    description: "Fill in: the VBR server's REST API as https://<host>:<port> (port 9419 unless changed at install), without /api.",
  },
  apiVersion: {
    type: 'default',
    value: LATEST_API_VERSION,
    description: 'The x-api-version under test, written as Veeam does without a leading v: for example 1.3-rev2.',
  },
  serviceAccountUsername: {
    type: 'secret',
    value: '',
    description: 'Fill in: the account ticked "This is a service account" in Users and Roles. Its role must be Backup Administrator for the users list evidence.',
  },
  serviceAccountPassword: {
    type: 'secret',
    value: '',
    description: "Fill in: the service account's password. Keep it in the current value only; never sync or share it.",
  },
  mfaUsername: {
    type: 'secret',
    value: '',
    description: 'Fill in: an account with MFA enabled and no service-account flag; the collection proves it is refused a token.',
  },
  mfaPassword: {
    type: 'secret',
    value: '',
    description: "Fill in: the MFA account's real password, so a 401 means MFA and not a wrong password.",
  },
};

const SECRET_NAME = /password|passwd|secret|token/i;
const LOOKS_LIKE_JWT = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/;
const REFERENCE = /\{\{\s*([^{}\s]+)\s*\}\}/g;
const SCRIPT_SET = /pm\.(?:collectionVariables|environment|variables|globals)\.set\(\s*['"]([^'"]+)['"]/g;

/** The two documents of an export, without writing anything. */
export function postmanExport(collection: CollectionFile): PostmanExport {
  const json = cleanCollection(collection);
  const base = path.basename(collection.path).replace(/\.postman_collection\.json$|\.json$/, '');

  return {
    collectionFileName: `${base}.postman_collection.json`,
    environmentFileName: `${base}.postman_environment.json`,
    collection: json,
    environment: environmentTemplate(json, collection.name),
  };
}

/**
 * Writes the export into `dir` (made when missing). Refuses, before
 * writing anything, when a target exists and `isForced` is not set; then
 * writes each file beside its target and moves them in, undoing the first
 * when the second fails, so no export is ever left half-done.
 */
export function exportForPostman(options: ExportOptions): ExportResult {
  const documents = postmanExport(options.collection);
  const dir = path.resolve(options.dir);
  prepareFolder(dir);

  const targets = [
    { file: path.join(dir, documents.collectionFileName), text: toText(documents.collection) },
    { file: path.join(dir, documents.environmentFileName), text: toText(documents.environment) },
  ];

  const existing = targets.filter((t) => existsSync(t.file));
  for (const target of existing) {
    if (!lstatSync(target.file).isFile()) {
      throw new HarnessError('ERR_REPORT_PATH', `cannot export: ${target.file} exists and is not a file`, 'remove it, or export into another folder');
    }
  }
  if (existing.length > 0 && !options.isForced) {
    const names = existing.map((t) => path.basename(t.file)).join(', ');
    throw new HarnessError(
      'ERR_REPORT_PATH',
      `export refused: ${dir} already holds ${names}\n  nothing was written`,
      'pass --force to overwrite them, or export into an empty folder',
    );
  }

  writeAll(targets, Boolean(options.isForced));
  return {
    files: targets.map((t) => t.file),
    collection: { name: options.collection.name, version: options.collection.version },
  };
}

function prepareFolder(dir: string): void {
  if (existsSync(dir) && !lstatSync(dir).isDirectory()) {
    throw new HarnessError('ERR_REPORT_PATH', `cannot export to ${dir}: it is a file, not a folder`, 'give a folder to export into');
  }
  try {
    mkdirSync(dir, { recursive: true });
  } catch (cause) {
    throw new HarnessError('ERR_REPORT_PATH', `cannot create ${dir} (${(cause as NodeJS.ErrnoException).code ?? 'unknown error'})`, 'check the path and its permissions');
  }
}

function writeAll(targets: { file: string; text: string }[], isForced: boolean): void {
  const suffix = `.${process.pid}.${Date.now()}.tmp`;
  const temporaries = targets.map((t) => `${t.file}${suffix}`);
  const backups = targets.map((t) => `${t.file}${suffix}.old`);
  const done: number[] = [];

  try {
    targets.forEach((t, i) => writeFileSync(temporaries[i], t.text, { mode: 0o644 }));
    targets.forEach((t, i) => {
      if (isForced && existsSync(t.file)) renameSync(t.file, backups[i]);
      placeExclusively(temporaries[i], t.file);
      done.push(i);
    });
  } catch (cause) {
    for (const i of done) removeQuietly(targets[i].file);
    targets.forEach((t, i) => {
      if (existsSync(backups[i])) renameSync(backups[i], t.file);
    });
    const code = (cause as NodeJS.ErrnoException).code ?? 'write failed';
    throw new HarnessError('ERR_REPORT_PATH', `cannot export into ${path.dirname(targets[0].file)} (${code})\n  nothing was written`, 'check that the folder is writable and nothing else writes there');
  } finally {
    temporaries.forEach(removeQuietly);
  }
  backups.forEach(removeQuietly);
}

const NO_HARD_LINKS = ['EPERM', 'ENOTSUP', 'EXDEV', 'ENOSYS'];

// A hard link, like an exclusive copy, fails when the target appeared
// meanwhile, so nothing is ever clobbered; some shares have no hard links.
function placeExclusively(from: string, to: string): void {
  try {
    linkSync(from, to);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (!NO_HARD_LINKS.includes(code ?? '')) throw cause;
    copyFileSync(from, to, constants.COPYFILE_EXCL);
  }
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Already gone.
  }
}

function toText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function cleanCollection(collection: CollectionFile): Record<string, unknown> {
  const json = structuredClone(collection.json);
  const info = (json.info ?? {}) as Record<string, unknown>;
  const seed = typeof info._postman_id === 'string' ? info._postman_id : collection.name;
  if (typeof info._postman_id !== 'string') info._postman_id = stableId(`${seed} collection`);

  // Saved example responses are captured values; Postman keeps them as
  // `response` on each request item.
  walkItems(json.item, [], (item, trail) => {
    delete item.response;
    if (typeof item.id !== 'string' || item.id === '') {
      item.id = stableId(`${seed} ${trail.join('/')}`);
    }
  });

  const variables = Array.isArray(json.variable) ? (json.variable as Record<string, unknown>[]) : [];
  for (const variable of variables) {
    if (typeof variable.key === 'string' && SECRET_NAME.test(variable.key)) variable.value = '';
  }

  const text = JSON.stringify(json);
  if (LOOKS_LIKE_JWT.test(text)) {
    throw new HarnessError(
      'ERR_COLLECTION',
      `collection ${collection.path} holds what looks like a captured token`,
      'remove captured values (tokens, saved responses, current values) from it, then export again',
    );
  }
  return json;
}

type Item = Record<string, unknown> & { name?: unknown; item?: unknown };

function walkItems(
  items: unknown,
  trail: string[],
  visit: (item: Item, trail: string[]) => void,
): void {
  if (!Array.isArray(items)) return;
  for (const item of items as Item[]) {
    const here = [...trail, String(item.name ?? '')];
    visit(item, here);
    walkItems(item.item, here, visit);
  }
}

/**
 * An environment with every variable the collection uses and does not set
 * itself: the known ones with their descriptions, any other one empty,
 * typed `secret` when its name says it holds one.
 */
function environmentTemplate(json: Record<string, unknown>, name: string): PostmanEnvironment {
  const text = JSON.stringify(json);
  const defined = new Set(
    (Array.isArray(json.variable) ? (json.variable as { key?: unknown }[]) : [])
      .map((v) => v.key)
      .filter((k): k is string => typeof k === 'string'),
  );
  const setByScripts = new Set([...text.matchAll(SCRIPT_SET)].map((m) => m[1]));
  const referenced = [...new Set([...text.matchAll(REFERENCE)].map((m) => m[1]))];
  const needed = referenced.filter((k) => !defined.has(k) && !setByScripts.has(k));

  const keys = [
    // baseUrl and apiVersion always: the harness reads them to know the server.
    ...Object.keys(KNOWN).filter((k) => needed.includes(k) || k === 'baseUrl' || k === 'apiVersion'),
    ...needed.filter((k) => !(k in KNOWN)).sort(),
  ];
  const info = (json.info ?? {}) as Record<string, unknown>;

  return {
    id: stableId(`${String(info._postman_id)} environment`),
    name: `${name}: fill in the server and the four secrets`,
    values: keys.map((key) => {
      const known = KNOWN[key] ?? {
        type: SECRET_NAME.test(key) ? 'secret' : 'default',
        value: '',
        description: 'Fill in: the collection uses this variable and does not set it.',
      };
      const { value, type, description } = known;
      return { key, value, type, enabled: true, description };
    }),
    _postman_variable_scope: 'environment',
  };
}
