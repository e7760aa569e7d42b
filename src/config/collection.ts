import { readFileSync } from 'node:fs';

import { HarnessError } from '../errors';

const V21_SCHEMA = /^https:\/\/schema\.getpostman\.com\/json\/collection\/v2\.1\.0\/collection\.json$/;

export type CollectionFile = {
  path: string;
  name: string;
  version: string;
  json: Record<string, unknown>;
};

/** Reads a Postman v2.1 collection file, refusing anything else by name. */
export function loadCollection(file: string): CollectionFile {
  const json = readJson(file, 'collection', 'ERR_COLLECTION');
  const info = (json.info ?? {}) as Record<string, unknown>;

  if (typeof info.schema !== 'string' || !V21_SCHEMA.test(info.schema)) {
    throw new HarnessError(
      'ERR_COLLECTION',
      `collection ${file} is not a Postman v2.1 collection (info.schema is ${JSON.stringify(info.schema ?? null)})`,
      'export it from Postman as "Collection v2.1"',
    );
  }
  if (!Array.isArray(json.item)) {
    throw new HarnessError(
      'ERR_COLLECTION',
      `collection ${file} has no item list`,
      'export the collection again from Postman as "Collection v2.1"',
    );
  }

  return {
    path: file,
    name: typeof info.name === 'string' ? info.name : file,
    version: typeof info.version === 'string' ? info.version : 'unversioned',
    json,
  };
}

/** Reads a JSON file, turning each way it can fail into one clear error. */
export function readJson(
  file: string,
  what: string,
  code: 'ERR_COLLECTION' | 'ERR_ENV_FILE',
): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code === 'ENOENT'
      ? 'no such file'
      : `cannot be read (${(cause as NodeJS.ErrnoException).code ?? 'unknown error'})`;
    throw new HarnessError(code, `${what} file ${file}: ${reason}`, `check the path given for the ${what}`);
  }

  // Windows editors save JSON with a byte-order mark, which JSON.parse refuses.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new HarnessError(
      code,
      `${what} file ${file} is not valid JSON${jsonErrorPlace(text, cause as Error)}`,
      `fix the file or export it again from Postman`,
    );
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new HarnessError(code, `${what} file ${file} does not hold a JSON object`, 'export it again from Postman');
  }
  return json as Record<string, unknown>;
}

/**
 * Where a JSON parse failed, as line and column. V8's own message quotes the
 * text around the error, which may be a password pasted in the wrong file,
 * so it is never shown.
 */
function jsonErrorPlace(text: string, cause: Error): string {
  const position = /position (\d+)/.exec(cause.message);
  if (!position) return '';
  const before = text.slice(0, Number(position[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return ` (line ${line}, column ${column})`;
}
