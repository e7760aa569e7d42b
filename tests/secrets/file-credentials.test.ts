import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { CREDENTIAL_VARIABLES, loadCredentials } from '../../src/config/credentials';
import { EXIT, HarnessError } from '../../src/errors';
import { ROOT } from '../support/harness';
import { hostileCorpus } from './corpus';

const NAMES = Object.values(CREDENTIAL_VARIABLES);
const ALL = [...NAMES, ...NAMES.map((n) => `${n}_FILE`)];

let dir: string;
let saved: Record<string, string | undefined>;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'veeam-auth-creds-'));
  copyFileSync(path.join(ROOT, '.env.example'), path.join(dir, '.env.example'));
  saved = Object.fromEntries(ALL.map((n) => [n, process.env[n]]));
  for (const name of ALL) delete process.env[name];
});

afterEach(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  rmSync(dir, { recursive: true, force: true });
});

function secretFile(name: string, content: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, content, { mode: 0o600 });
  return file;
}

function setAll(values: Partial<Record<string, string>>): void {
  for (const [name, value] of Object.entries(values)) process.env[name] = value;
}

function thrown(work: () => unknown): HarnessError {
  try {
    work();
  } catch (cause) {
    if (cause instanceof HarnessError) return cause;
    throw cause;
  }
  throw new Error('expected a HarnessError');
}

describe('loadCredentials with <NAME>_FILE', () => {
  it('reads every credential from the files the _FILE variables name', () => {
    const [a, b, c, d] = hostileCorpus(4, 7);
    setAll({
      VBR_SERVICE_ACCOUNT_USERNAME_FILE: secretFile('su', `${a}\n`),
      VBR_SERVICE_ACCOUNT_PASSWORD_FILE: secretFile('sp', `${b}\n`),
      VBR_MFA_USERNAME_FILE: secretFile('mu', c),
      VBR_MFA_PASSWORD_FILE: secretFile('mp', `${d}\r\n`),
    });

    const credentials = loadCredentials(dir);

    expect(credentials).toEqual({
      serviceAccountUsername: a,
      serviceAccountPassword: b,
      mfaUsername: c,
      mfaPassword: d,
    });
  });

  it('drops one trailing newline and keeps everything else, spaces and inner newlines included', () => {
    setAll({
      VBR_SERVICE_ACCOUNT_USERNAME: 'svc',
      VBR_SERVICE_ACCOUNT_PASSWORD_FILE: secretFile('sp', '  two\nlines  \n\n'),
      VBR_MFA_USERNAME: 'mfa',
      VBR_MFA_PASSWORD_FILE: secretFile('mp', '\tx '),
    });

    const credentials = loadCredentials(dir);

    expect(credentials.serviceAccountPassword).toBe('  two\nlines  \n');
    expect(credentials.mfaPassword).toBe('\tx ');
  });

  it('resolves a relative path against the working folder', () => {
    mkdirSync(path.join(dir, 'secrets'));
    secretFile('secrets/pw', 'from-a-relative-path\n');
    setAll({
      VBR_SERVICE_ACCOUNT_USERNAME: 'svc',
      VBR_SERVICE_ACCOUNT_PASSWORD_FILE: 'secrets/pw',
      VBR_MFA_USERNAME: 'mfa',
      VBR_MFA_PASSWORD: 'm',
    });

    const credentials = loadCredentials(dir);

    expect(credentials.serviceAccountPassword).toBe('from-a-relative-path');
  });

  it('takes _FILE variables from .env, beside the empty names copied from .env.example', () => {
    const file = secretFile('mp', 'p#w "x"\n');
    writeFileSync(
      path.join(dir, '.env'),
      [
        "VBR_SERVICE_ACCOUNT_USERNAME='svc'",
        "VBR_SERVICE_ACCOUNT_PASSWORD='a#b c'",
        'VBR_MFA_USERNAME=mfa',
        'VBR_MFA_PASSWORD=',
        `VBR_MFA_PASSWORD_FILE=${file}`,
      ].join('\n'),
    );

    const credentials = loadCredentials(dir);

    expect(credentials).toEqual({
      serviceAccountUsername: 'svc',
      serviceAccountPassword: 'a#b c',
      mfaUsername: 'mfa',
      mfaPassword: 'p#w "x"',
    });
  });

  it('lets the environment win over .env for a credential, whichever of NAME and NAME_FILE each sets', () => {
    writeFileSync(
      path.join(dir, '.env'),
      'VBR_SERVICE_ACCOUNT_USERNAME=svc\nVBR_SERVICE_ACCOUNT_PASSWORD=from-dotenv\nVBR_MFA_USERNAME=mfa\nVBR_MFA_PASSWORD=m\n',
    );
    setAll({ VBR_SERVICE_ACCOUNT_PASSWORD_FILE: secretFile('sp', 'from-file\n') });

    const credentials = loadCredentials(dir);

    expect(credentials.serviceAccountPassword).toBe('from-file');
  });

  it('writes nothing into process.env', () => {
    writeFileSync(path.join(dir, '.env'), 'VBR_SERVICE_ACCOUNT_USERNAME=svc\nVBR_MFA_USERNAME=mfa\nOTHER_SETTING=1\n');
    setAll({
      VBR_SERVICE_ACCOUNT_PASSWORD_FILE: secretFile('sp', 's'),
      VBR_MFA_PASSWORD: 'm',
    });
    const before = { ...process.env };

    loadCredentials(dir);

    expect({ ...process.env }).toEqual(before);
  });

  it('refuses NAME and NAME_FILE together, naming both and neither value', () => {
    setAll({
      VBR_SERVICE_ACCOUNT_USERNAME: 'svc',
      VBR_SERVICE_ACCOUNT_PASSWORD: 'direct-value',
      VBR_SERVICE_ACCOUNT_PASSWORD_FILE: secretFile('sp', 'file-value'),
      VBR_MFA_USERNAME: 'mfa',
      VBR_MFA_PASSWORD: 'm',
    });

    const error = thrown(() => loadCredentials(dir));

    expect(error.code).toBe('ERR_ENV_VAR_CONFLICT');
    expect(error.exitCode).toBe(EXIT.config);
    expect(error.message).toBe(
      'both VBR_SERVICE_ACCOUNT_PASSWORD and VBR_SERVICE_ACCOUNT_PASSWORD_FILE are set in the environment',
    );
    expect(error.hint).toBe(
      'set only one: VBR_SERVICE_ACCOUNT_PASSWORD_FILE names a file holding the value, VBR_SERVICE_ACCOUNT_PASSWORD holds the value itself',
    );
  });

  it('refuses NAME and NAME_FILE together in .env too', () => {
    const file = secretFile('mp', 'x');
    writeFileSync(
      path.join(dir, '.env'),
      `VBR_SERVICE_ACCOUNT_USERNAME=svc\nVBR_SERVICE_ACCOUNT_PASSWORD=s\nVBR_MFA_USERNAME=mfa\nVBR_MFA_PASSWORD=m\nVBR_MFA_PASSWORD_FILE=${file}\n`,
    );

    const error = thrown(() => loadCredentials(dir));

    expect(error.code).toBe('ERR_ENV_VAR_CONFLICT');
    expect(error.message).toBe('both VBR_MFA_PASSWORD and VBR_MFA_PASSWORD_FILE are set in .env');
  });

  it.each([
    ['a missing file', (d: string) => path.join(d, 'nope'), 'no such file'],
    ['a folder', (d: string) => d, 'it is a folder'],
  ])('names the variable and the path of %s, never a value', (_name, target, reason) => {
    const file = target(dir);
    setAll({
      VBR_SERVICE_ACCOUNT_USERNAME: 'svc-user-name',
      VBR_SERVICE_ACCOUNT_PASSWORD: 'svc-password-value',
      VBR_MFA_USERNAME: 'mfa-user-name',
      VBR_MFA_PASSWORD_FILE: file,
    });

    const error = thrown(() => loadCredentials(dir));

    expect(error.code).toBe('ERR_ENV_VAR_FILE');
    expect(error.exitCode).toBe(EXIT.config);
    expect(error.message).toBe(`VBR_MFA_PASSWORD_FILE names ${file}, which cannot be read: ${reason}`);
    expect(error.hint).toBe('point VBR_MFA_PASSWORD_FILE at a readable file that holds the value and nothing else');
    expect(`${error.message} ${error.hint}`).not.toMatch(/svc-password-value|svc-user-name|mfa-user-name/);
  });

  const isRoot = process.getuid?.() === 0;
  (isRoot ? it.skip : it)('names a file it may not read (skipped as root, who may read anything)', () => {
    const file = secretFile('mp', 'x');
    chmodSync(file, 0o000);
    setAll({ VBR_SERVICE_ACCOUNT_USERNAME: 's', VBR_SERVICE_ACCOUNT_PASSWORD: 'p', VBR_MFA_USERNAME: 'm', VBR_MFA_PASSWORD_FILE: file });

    const error = thrown(() => loadCredentials(dir));

    expect(error.message).toBe(`VBR_MFA_PASSWORD_FILE names ${file}, which cannot be read: permission denied`);
  });
});

describe('loadCredentials when values are missing', () => {
  it('lists every missing name on one line', () => {
    setAll({ VBR_SERVICE_ACCOUNT_USERNAME: 'svc', VBR_MFA_PASSWORD: '' });

    const error = thrown(() => loadCredentials(dir));

    expect(error.code).toBe('ERR_ENV_VAR_MISSING');
    expect(error.exitCode).toBe(EXIT.config);
    expect(error.message).toBe(
      'missing or empty credential variables: VBR_SERVICE_ACCOUNT_PASSWORD, VBR_MFA_USERNAME, VBR_MFA_PASSWORD',
    );
    expect(error.message).not.toContain('\n');
  });

  it('counts a _FILE that names an empty file as missing, and says so', () => {
    setAll({
      VBR_SERVICE_ACCOUNT_USERNAME: 'svc',
      VBR_SERVICE_ACCOUNT_PASSWORD_FILE: secretFile('sp', '\n'),
      VBR_MFA_USERNAME: 'mfa',
      VBR_MFA_PASSWORD: 'm',
    });

    const error = thrown(() => loadCredentials(dir));

    expect(error.message).toBe(
      'missing or empty credential variable: VBR_SERVICE_ACCOUNT_PASSWORD (VBR_SERVICE_ACCOUNT_PASSWORD_FILE names an empty file)',
    );
  });

  it('puts process.env back as it was after a failure', () => {
    writeFileSync(path.join(dir, '.env'), 'VBR_SERVICE_ACCOUNT_USERNAME=svc\n');
    setAll({ VBR_MFA_PASSWORD_FILE: secretFile('mp', 'm') });
    const before = { ...process.env };

    thrown(() => loadCredentials(dir));

    expect({ ...process.env }).toEqual(before);
  });
});

describe('.env quoting, as loadCredentials reads it', () => {
  function passwordFrom(line: string): string {
    writeFileSync(
      path.join(dir, '.env'),
      `VBR_SERVICE_ACCOUNT_USERNAME=svc\n${line}\nVBR_MFA_USERNAME=mfa\nVBR_MFA_PASSWORD=m\n`,
    );
    return loadCredentials(dir).serviceAccountPassword;
  }

  it('reads a single-quoted value literally, # and spaces included', () => {
    const password = passwordFrom("VBR_SERVICE_ACCOUNT_PASSWORD=' a#b \"c\" \\n '");

    expect(password).toBe(' a#b "c" \\n ');
  });

  it('ends an unquoted value where a # starts a comment', () => {
    const password = passwordFrom('VBR_SERVICE_ACCOUNT_PASSWORD=abc #def');

    expect(password).toBe('abc');
  });

  it('turns \\n into a newline inside double quotes', () => {
    const password = passwordFrom('VBR_SERVICE_ACCOUNT_PASSWORD="a\\nb#c"');

    expect(password).toBe('a\nb#c');
  });
});
