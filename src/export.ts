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

  blankSecrets(json);

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

type Entry = Record<string, unknown> & { key?: unknown; value?: unknown; type?: unknown };

/** A value that is one `{{variable}}` and nothing else: Postman fills it in. */
const ONLY_REFERENCE = /^\{\{[^{}]+\}\}$/;

/** An Authorization value whose credential is a reference: `Bearer {{accessToken}}`. */
const SCHEME_AND_REFERENCE = /^[A-Za-z][\w-]*\s+\{\{[^{}]+\}\}$/;

/** Names of fields, parameters and headers that carry a credential. */
const SECRET_FIELD = /pass|pwd|secret|token|credential|api[-_]?key|private[-_]?key|^authorization$|^code$/i;

/**
 * Auth parameters that configure a scheme rather than hold a credential.
 * Every other auth value is blanked unless it is a reference: an auth type
 * this list does not know keeps its keys and loses its values.
 */
const AUTH_SETTINGS = new Set([
  'in', 'key', 'addTokenTo', 'headerPrefix', 'grant_type', 'client_authentication', 'tokenType',
  'accessTokenUrl', 'authUrl', 'redirect_uri', 'scope', 'tokenName', 'useBrowser', 'challengeAlgorithm',
  'algorithm', 'qop', 'signatureMethod', 'version', 'addParamsToHeader', 'addEmptyParamsToSign',
  'includeBodyHash', 'service', 'region', 'isQueryParam', 'header', 'queryParamKey', 'disableRetryRequest',
]);

function isReference(value: unknown): boolean {
  return typeof value === 'string' && ONLY_REFERENCE.test(value);
}

/** Every string inside `value` blanked, references kept, shape unchanged. */
function blankedDeep(value: unknown): unknown {
  if (typeof value === 'string') return isReference(value) ? value : '';
  if (Array.isArray(value)) return value.map(blankedDeep);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, k === 'key' || k === 'type' || k === 'disabled' ? v : blankedDeep(v)]),
    );
  }
  return value;
}

/**
 * Blanks every credential a collection can hold, wherever Postman keeps
 * one: auth blocks of the collection, folders and requests; variables
 * typed `secret` or named like a secret at every level; secret fields of
 * urlencoded, form-data, raw and GraphQL bodies; secret query parameters,
 * path variables and headers. Keys, types and order stay, so Postman shows what to fill
 * in; a value that is only a `{{variable}}` reference stays as it is.
 */
function blankSecrets(json: Record<string, unknown>): void {
  blankVariables(json.variable);
  blankAuth(json.auth);
  walkItems(json.item, [], (item) => {
    blankVariables(item.variable);
    blankAuth(item.auth);
    const request = item.request;
    if (!request || typeof request !== 'object') return;
    const r = request as Record<string, unknown>;
    blankAuth(r.auth);
    r.header = blankedHeaders(r.header);
    blankBody(r.body);
    r.url = blankedUrl(r.url);
  });
}

function entriesOf(list: unknown): Entry[] {
  return Array.isArray(list) ? (list as unknown[]).filter((e): e is Entry => Boolean(e) && typeof e === 'object') : [];
}

function blankVariables(list: unknown): void {
  for (const variable of entriesOf(list)) {
    const isSecret = variable.type === 'secret' || (typeof variable.key === 'string' && SECRET_NAME.test(variable.key));
    if (!isSecret) continue;
    for (const field of ['value', 'initialValue', 'currentValue']) {
      if (field in variable && !isReference(variable[field])) variable[field] = '';
    }
  }
}

function blankAuth(auth: unknown): void {
  if (!auth || typeof auth !== 'object') return;
  for (const [scheme, params] of Object.entries(auth as Record<string, unknown>)) {
    if (scheme === 'type') continue;
    if (Array.isArray(params)) {
      for (const param of entriesOf(params)) {
        const isSetting = typeof param.key === 'string' && AUTH_SETTINGS.has(param.key) && typeof param.value !== 'object';
        if (!isSetting) param.value = blankedDeep(param.value);
      }
    } else if (params && typeof params === 'object') {
      // The v2.0 form: an object of parameters instead of a list.
      const object = params as Record<string, unknown>;
      for (const [key, value] of Object.entries(object)) {
        if (!(AUTH_SETTINGS.has(key) && typeof value !== 'object')) object[key] = blankedDeep(value);
      }
    }
  }
}

function isSecretField(entry: Entry): boolean {
  return typeof entry.key === 'string' && SECRET_FIELD.test(entry.key.trim());
}

const SECRET_HEADER = /^(authorization|proxy-authorization|cookie)$/i;

function isKeptHeaderValue(value: string): boolean {
  return isReference(value.trim()) || SCHEME_AND_REFERENCE.test(value.trim());
}

/** Headers as a list of entries, or as the `Name: value` lines Postman also accepts. */
function blankedHeaders(headers: unknown): unknown {
  if (typeof headers === 'string') {
    return headers.replace(/^([ \t]*([^:\r\n]+?)[ \t]*:)([^\r\n]*)$/gm, (all, head: string, name: string, value: string) =>
      (SECRET_HEADER.test(name) || SECRET_FIELD.test(name)) && !isKeptHeaderValue(value) ? `${head} ` : all);
  }
  for (const header of entriesOf(headers)) {
    const name = typeof header.key === 'string' ? header.key.trim() : '';
    const isSecret = SECRET_HEADER.test(name) || isSecretField(header);
    if (!isSecret || typeof header.value !== 'string') continue;
    if (!isKeptHeaderValue(header.value)) header.value = '';
  }
  return headers;
}

function blankFields(list: unknown): void {
  for (const entry of entriesOf(list)) {
    if (isSecretField(entry) && typeof entry.value === 'string' && !isReference(entry.value)) entry.value = '';
  }
}

function blankBody(body: unknown): void {
  if (!body || typeof body !== 'object') return;
  const b = body as Record<string, unknown>;
  blankFields(b.urlencoded);
  blankFields(b.formdata);
  if (typeof b.raw === 'string') b.raw = blankedText(b.raw);
  const graphql = b.graphql as Record<string, unknown> | undefined;
  if (graphql && typeof graphql === 'object' && typeof graphql.variables === 'string') {
    graphql.variables = blankedText(graphql.variables);
  }
}

function blankedUrl(url: unknown): unknown {
  if (typeof url === 'string') return blankedText(url);
  if (!url || typeof url !== 'object') return url;
  const u = url as Record<string, unknown>;
  blankFields(u.query);
  blankVariables(u.variable);
  if (typeof u.raw === 'string') u.raw = blankedText(u.raw);
  return u;
}

const KEY_NAME = String.raw`[A-Za-z0-9_.\-\[\]]*`;

/**
 * Blanks the secret fields of free text in the shapes a request body or
 * URL takes: JSON (`"password": "..."`), form or query pairs
 * (`password=...`) and XML elements (`<password>...</password>`).
 */
function blankedText(text: string): string {
  const keep = (value: string) => isReference(value);
  const json = new RegExp(String.raw`("(${KEY_NAME})"\s*:\s*)"((?:[^"\\]|\\.)*)"`, 'g');
  const pairs = new RegExp(String.raw`(^|[?&\s])(${KEY_NAME})=([^&#\s"'<]*)`, 'g');
  const xml = new RegExp(String.raw`<(${KEY_NAME})(\s[^>]*)?>([^<]*)</\1\s*>`, 'g');

  return text
    .replace(json, (all, head: string, key: string, value: string) =>
      SECRET_FIELD.test(key) && !keep(value) ? `${head}""` : all)
    .replace(pairs, (all, lead: string, key: string, value: string) =>
      SECRET_FIELD.test(decodeQuietly(key)) && !keep(decodeQuietly(value)) ? `${lead}${key}=` : all)
    .replace(xml, (all, key: string, attributes: string | undefined, value: string) =>
      SECRET_FIELD.test(key) && !keep(value.trim()) ? `<${key}${attributes ?? ''}></${key}>` : all);
}

function decodeQuietly(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

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
