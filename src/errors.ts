/**
 * Exit codes of the `veeam-auth` command. The README documents each one; tests
 * assert them, so they are part of the interface.
 */
export const EXIT = {
  ok: 0,
  checkFailed: 1,
  usage: 2,
  config: 3,
  unreachable: 4,
  tlsUntrusted: 5,
  internal: 70,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export type ErrorCode =
  | 'ERR_USAGE'
  | 'ERR_ENV_FILE'
  | 'ERR_ENV_VAR_MISSING'
  | 'ERR_ENV_VAR_CONFLICT'
  | 'ERR_ENV_VAR_FILE'
  | 'ERR_COLLECTION'
  | 'ERR_CA_CERT'
  | 'ERR_REPORT_PATH'
  | 'ERR_SCENARIO_UNKNOWN'
  | 'ERR_SERVER_UNREACHABLE'
  | 'ERR_TLS_UNTRUSTED'
  | 'ERR_RUN_TIMEOUT'
  | 'ERR_SIMULATOR'
  | 'ERR_PORT_IN_USE'
  | 'ERR_ENV_VAR_UNSENDABLE';

const EXIT_BY_CODE: Record<ErrorCode, ExitCode> = {
  ERR_USAGE: EXIT.usage,
  ERR_SCENARIO_UNKNOWN: EXIT.usage,
  ERR_ENV_FILE: EXIT.config,
  ERR_ENV_VAR_MISSING: EXIT.config,
  ERR_ENV_VAR_CONFLICT: EXIT.config,
  ERR_ENV_VAR_FILE: EXIT.config,
  ERR_COLLECTION: EXIT.config,
  ERR_CA_CERT: EXIT.config,
  ERR_REPORT_PATH: EXIT.config,
  ERR_SERVER_UNREACHABLE: EXIT.unreachable,
  ERR_RUN_TIMEOUT: EXIT.unreachable,
  ERR_TLS_UNTRUSTED: EXIT.tlsUntrusted,
  ERR_SIMULATOR: EXIT.internal,
  ERR_PORT_IN_USE: EXIT.config,
  ERR_ENV_VAR_UNSENDABLE: EXIT.config,
};

/**
 * The one error type the library throws on purpose. `message` says what
 * failed and why; `hint` says what to do next. Neither ever holds a secret.
 */
export class HarnessError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, hint?: string) {
    super(message);
    this.name = 'HarnessError';
    this.code = code;
    this.hint = hint;
  }

  get exitCode(): ExitCode {
    return EXIT_BY_CODE[this.code];
  }
}
