import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import dotenv from 'dotenv';
import dotenvSafe from 'dotenv-safe';

import { HarnessError } from '../errors';
import { debugLog } from '../log';

const debug = debugLog('veeam-auth:config');

export type Credentials = {
  serviceAccountUsername: string;
  serviceAccountPassword: string;
  mfaUsername: string;
  mfaPassword: string;
};

/** Process-environment names of the credentials, as `.env.example` lists them. */
export const CREDENTIAL_VARIABLES: Record<keyof Credentials, string> = {
  serviceAccountUsername: 'VBR_SERVICE_ACCOUNT_USERNAME',
  serviceAccountPassword: 'VBR_SERVICE_ACCOUNT_PASSWORD',
  mfaUsername: 'VBR_MFA_USERNAME',
  mfaPassword: 'VBR_MFA_PASSWORD',
};

/** The harness's own list of credential names, shipped beside package.json. */
export const HARNESS_EXAMPLE = path.resolve(__dirname, '..', '..', '.env.example');

/** `<NAME>_FILE` names a file that holds the value of `<NAME>`. */
export const FILE_SUFFIX = '_FILE';

type Source = 'environment' | '.env';

type Resolved = {
  value: string;
  /** The `_FILE` variable the value came from, when it came from a file. */
  fileVariable?: string;
};

/**
 * Reads the credentials from the process environment, filling gaps from
 * `.env` in `cwd`; dotenv-safe requires every name that `.env.example`
 * lists. Each name may instead be given as `<NAME>_FILE`, the path of a file
 * holding the value (its one trailing newline dropped). For each credential
 * the environment wins over `.env`. `process.env` is left as it was.
 *
 * `variables` names other variables than the VBR_* ones (a fleet's servers
 * each have their own); dotenv-safe then checks exactly those names.
 */
export function loadCredentials(
  cwd: string = process.cwd(),
  variables: Record<keyof Credentials, string> = CREDENTIAL_VARIABLES,
  harnessExample: string = HARNESS_EXAMPLE,
): Credentials {
  const isDefault = variables === CREDENTIAL_VARIABLES;
  // A .env.example beside the user's .env wins; run from elsewhere, the
  // harness's own names the variables.
  const local = path.join(cwd, '.env.example');
  const example = !isDefault
    ? exampleListing(variables)
    : existsSync(local) ? local : harnessExample;
  if (!existsSync(example)) {
    throw new HarnessError(
      'ERR_ENV_FILE',
      `no .env.example in ${cwd} nor in the harness folder: it names the credential variables to read`,
      'restore .env.example from the repository (git checkout .env.example)',
    );
  }

  try {
    const envFile = path.join(cwd, '.env');
    const fromFile = readDotenv(envFile);
    const resolved = new Map<string, Resolved>();
    for (const name of Object.values(variables)) {
      resolved.set(name, resolve(name, fromFile, cwd));
    }

    requireNames(example, envFile, fromFile, resolved);

    // newman and Postman substitute {{name}} inside any variable's value,
    // so such a password would go out changed (or spliced with another).
    for (const name of Object.values(variables)) {
      if (resolved.get(name)?.value.includes('{{')) {
        throw new HarnessError(
          'ERR_ENV_VAR_UNSENDABLE',
          `${name} holds "{{", which newman and Postman replace as a variable reference, so the value would not reach the server as it is`,
          'give this account a password without "{{"',
        );
      }
    }

    const read = (key: keyof Credentials) => resolved.get(variables[key])?.value ?? '';
    return {
      serviceAccountUsername: read('serviceAccountUsername'),
      serviceAccountPassword: read('serviceAccountPassword'),
      mfaUsername: read('mfaUsername'),
      mfaPassword: read('mfaPassword'),
    };
  } finally {
    if (!isDefault) rmSync(path.dirname(example), { recursive: true, force: true });
  }
}

/** An example file listing `variables`' names (no values), for dotenv-safe. */
function exampleListing(variables: Record<keyof Credentials, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'veeam-auth-names-'));
  const file = path.join(dir, '.env.example');
  writeFileSync(file, Object.values(variables).map((name) => `${name}=\n`).join(''));
  return file;
}

function readDotenv(file: string): Record<string, string> {
  let text: Buffer;
  try {
    text = readFileSync(file);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    // No .env is normal in CI, where the environment holds the values.
    if (code === 'ENOENT') return {};
    throw new HarnessError(
      'ERR_ENV_FILE',
      `cannot read ${file} (${code ?? 'read failed'})`,
      'make .env readable by this user, or remove it and set the variables in the environment',
    );
  }
  return dotenv.parse(text);
}

/** The value of one credential, from `NAME` or `NAME_FILE`, environment first. */
function resolve(name: string, fromFile: Record<string, string>, cwd: string): Resolved {
  const fileVariable = `${name}${FILE_SUFFIX}`;
  const isSetIn = (vars: Record<string, string | undefined>) =>
    Boolean(vars[name] || vars[fileVariable]);
  const source: Source = isSetIn(process.env) ? 'environment' : '.env';
  const vars = source === 'environment' ? process.env : fromFile;
  const direct = vars[name] ?? '';
  const file = vars[fileVariable] ?? '';

  if (direct && file) {
    const where = source === '.env' ? 'in .env' : 'in the environment';
    throw new HarnessError(
      'ERR_ENV_VAR_CONFLICT',
      `both ${name} and ${fileVariable} are set ${where}`,
      `set only one: ${fileVariable} names a file holding the value, ` +
        `${name} holds the value itself`,
    );
  }
  if (!file) {
    if (direct) debug('%s from the %s', name, source === '.env' ? '.env file' : 'environment');
    return { value: direct };
  }

  const target = path.resolve(cwd, file);
  debug('%s from the file named by %s (%s)', name, fileVariable, target);
  return { value: readValueFile(fileVariable, target), fileVariable };
}

function readValueFile(fileVariable: string, target: string): string {
  let text: string;
  try {
    text = readFileSync(target, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'no such file'
      : code === 'EISDIR' ? 'it is a folder'
      : code === 'EACCES' || code === 'EPERM' ? 'permission denied'
      : (code ?? 'read failed');
    throw new HarnessError(
      'ERR_ENV_VAR_FILE',
      `${fileVariable} names ${target}, which cannot be read: ${reason}`,
      `point ${fileVariable} at a readable file that holds the value and nothing else`,
    );
  }

  // Editors and `echo` end a file with a newline that is no part of the
  // value; everything else, spaces included, is.
  return text.replace(/\r?\n$/, '');
}

/**
 * Has dotenv-safe check that every name in `.env.example` is set and not
 * empty. It reads `process.env` only, so for the length of that one
 * synchronous call the process environment also holds `.env`'s values
 * (the environment winning, as dotenv does) and the resolved credentials;
 * then it is put back exactly as it was.
 */
function requireNames(
  example: string,
  envFile: string,
  fromFile: Record<string, string>,
  resolved: Map<string, Resolved>,
): void {
  const overlay: Record<string, string> = {};
  for (const [name, value] of Object.entries(fromFile)) {
    if (process.env[name] === undefined) overlay[name] = value;
  }
  for (const [name, { value }] of resolved) {
    if (value) overlay[name] = value;
  }

  const saved = new Map<string, string | undefined>();
  try {
    for (const [name, value] of Object.entries(overlay)) {
      saved.set(name, process.env[name]);
      process.env[name] = value;
    }
    // dotenv copies .env into `processEnv`: a throwaway object here, not
    // process.env (the option is dotenv's, passed through by dotenv-safe).
    const options = { path: envFile, example, quiet: true, processEnv: {} };
    dotenvSafe.config(options);
  } catch (cause) {
    const missing = (cause as { missing?: string[] }).missing;
    if ((cause as Error).name === 'MissingEnvVarsError' && missing) {
      throw missingError(missing, resolved);
    }
    throw cause;
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

function missingError(missing: string[], resolved: Map<string, Resolved>): HarnessError {
  const names = missing.map((name) => {
    const fileVariable = resolved.get(name)?.fileVariable;
    return fileVariable ? `${name} (${fileVariable} names an empty file)` : name;
  });
  return new HarnessError(
    'ERR_ENV_VAR_MISSING',
    `missing or empty credential variable${names.length > 1 ? 's' : ''}: ${names.join(', ')}`,
    'set them in the environment or in .env (see .env.example), or set ' +
      `<NAME>${FILE_SUFFIX} to a file holding the value; quote values that hold # or spaces`,
  );
}
