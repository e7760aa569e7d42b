import { existsSync } from 'node:fs';
import path from 'node:path';

import dotenvSafe from 'dotenv-safe';

import { HarnessError } from '../errors';

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

/**
 * Reads the credentials from the process environment, filling gaps from
 * `.env` in `cwd` through dotenv-safe, which requires every name that
 * `.env.example` lists. Values already in the environment win over `.env`.
 */
export function loadCredentials(cwd: string = process.cwd()): Credentials {
  const example = path.join(cwd, '.env.example');
  if (!existsSync(example)) {
    throw new HarnessError(
      'ERR_ENV_FILE',
      `no .env.example in ${cwd}: it names the credential variables to read`,
      'run veeam-auth from the harness folder, or copy its .env.example here',
    );
  }

  try {
    dotenvSafe.config({
      path: path.join(cwd, '.env'),
      example,
      quiet: true,
    });
  } catch (cause) {
    const missing = (cause as { missing?: string[] }).missing;
    if ((cause as Error).name === 'MissingEnvVarsError' && missing) {
      throw new HarnessError(
        'ERR_ENV_VAR_MISSING',
        `missing or empty credential variable${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`,
        'set them in the environment or in .env (see .env.example); quote values that hold # or spaces',
      );
    }
    throw cause;
  }

  const read = (key: keyof Credentials) => process.env[CREDENTIAL_VARIABLES[key]] ?? '';
  return {
    serviceAccountUsername: read('serviceAccountUsername'),
    serviceAccountPassword: read('serviceAccountPassword'),
    mfaUsername: read('mfaUsername'),
    mfaPassword: read('mfaPassword'),
  };
}
