import { readFileSync } from 'node:fs';
import path from 'node:path';

import type { Command } from 'commander';

import { loadAllowlist, runAudit, type AuditResult } from '../audit';
import { loadCollection } from '../config/collection';
import { loadCredentials } from '../config/credentials';
import { loadEnvironment } from '../config/environment';
import { EXIT, HarnessError } from '../errors';
import { exportForPostman } from '../export';
import { attributeLog, parseLogTime, type LogAttribution } from '../logs';
import type { Redactor } from '../redact';
import type { Verdict } from '../run-checks';
import { startSimulator, type RunningSimulator } from '../simulator/start';
import type { Io } from './main';

export type OperatorContext = {
  io: Io;
  redactor: Redactor;
  out: (text: string) => void;
  err: (text: string) => void;
  defaultCollection: string;
  setExitCode: (code: number) => void;
  setVerbose: (isVerbose: boolean) => void;
};

type ExportFlags = { collection: string; force?: boolean; verbose?: boolean };
type LogsFlags = { user?: string; since?: string; verbose?: boolean };
type AuditFlags = {
  env?: string;
  caCert?: string;
  insecure?: boolean;
  allowlist?: string;
  timeoutRequest?: number;
  verbose?: boolean;
};

/** Adds `export`, `logs` and `audit` to the `veeam-auth` command line. */
export function registerOperatorCommands(program: Command, context: OperatorContext): void {
  program
    .command('export <dir>')
    .description('write the collection and an environment template for import into Postman')
    .option('--collection <file>', 'collection to export', context.defaultCollection)
    .option('--force', 'overwrite files that already exist in <dir>')
    .option('--verbose', 'print stack traces of errors')
    .action((dir: string, flags: ExportFlags) => {
      context.setVerbose(Boolean(flags.verbose));
      context.setExitCode(exportCommand(dir, flags, context));
    });

  program
    .command('logs <file>')
    .description("attribute the token requests in VBR's REST log (Svc.ResAPI.log): MFA, bad credentials or granted")
    .option('--user <name>', 'only the token requests of this account')
    .option('--since <time>', 'only token requests from this server-local time on (dd.MM.yyyy HH:mm[:ss] or yyyy-MM-ddTHH:mm[:ss])')
    .option('--verbose', 'print stack traces of errors')
    .action(async (file: string, flags: LogsFlags) => {
      context.setVerbose(Boolean(flags.verbose));
      context.setExitCode(await logsCommand(file, flags, context));
    });

  program
    .command('audit')
    .description('list the accounts that bypass MFA (service accounts) and flag those not on an allowlist')
    .option('--env <file>', 'Postman environment of a real server (baseUrl, apiVersion); the built-in simulator without it')
    .option('--ca-cert <pem>', "PEM file of the CA (or the VBR server's own certificate) to trust")
    .option('--insecure', 'skip TLS verification (prints a warning; never the default)')
    .option('--allowlist <file>', 'the service accounts you expect, one name per line, # comments')
    .option('--timeout-request <ms>', 'bound on one request', toMs('--timeout-request'))
    .option('--verbose', 'print stack traces of errors')
    .action(async (flags: AuditFlags) => {
      context.setVerbose(Boolean(flags.verbose));
      context.setExitCode(await auditCommand(flags, context));
    });
}

/** The line the check command prints under its table: why the MFA user got 401. */
export function formatAttribution(verdict: Verdict): string {
  const check = verdict.checks.find((c) => c.id === 'mfa-user-refused');
  return check?.attribution ? `why mfa-user-refused got 401: ${check.attribution.summary}\n` : '';
}

function exportCommand(dir: string, flags: ExportFlags, context: OperatorContext): number {
  const collection = loadCollection(path.resolve(context.io.cwd, flags.collection));
  const result = exportForPostman({
    dir: path.resolve(context.io.cwd, dir),
    collection,
    isForced: Boolean(flags.force),
  });

  context.out(
    [
      `exported ${result.collection.name} v${result.collection.version} for Postman:`,
      ...result.files.map((f) => `  ${f}`),
      'import both into Postman, then fill in the environment: baseUrl, apiVersion and the four secrets',
      '',
    ].join('\n'),
  );
  return EXIT.ok;
}

async function logsCommand(
  file: string,
  flags: LogsFlags,
  context: OperatorContext,
): Promise<number> {
  let since: number | undefined;
  if (flags.since !== undefined) {
    const parsed = parseLogTime(flags.since);
    if (parsed === null) {
      throw new HarnessError('ERR_USAGE', '--since takes a time as dd.MM.yyyy HH:mm[:ss] or yyyy-MM-ddTHH:mm[:ss]', 'for example --since "03.10.2022 11:45"');
    }
    since = parsed;
  }

  const target = path.resolve(context.io.cwd, file);
  const result = await attributeLog(target, { user: flags.user, since });
  context.out(formatLogAttribution(file, result));
  return EXIT.ok;
}

/**
 * The attribution as the CLI prints it: per token request only its time,
 * the user name, the status and the verdict. No message text, so nothing a
 * log line holds beyond those can reach the output.
 */
export function formatLogAttribution(file: string, result: LogAttribution): string {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const more = result.malformed > result.malformedLines.length ? ', ...' : '';
  const skipped =
    result.malformed === 0
      ? 'no malformed lines'
      : `${plural(result.malformed, 'malformed line')} skipped (line ${result.malformedLines.join(', ')}${more})`;
  const lines = [
    `${path.basename(file)}: ${plural(result.requests.length, 'password-grant token request')} in ${plural(result.lines, 'line')}, ${skipped}`,
  ];

  if (result.requests.length > 0) {
    const users = result.requests.map((r) => printable(r.user));
    const width = Math.max(4, ...users.map((u) => u.length));
    lines.push('', `  ${'time'.padEnd(23)}  ${'user'.padEnd(width)}  status  ${'outcome'.padEnd(15)}  why`);
    result.requests.forEach((r, i) => {
      const status = String(r.status ?? '---').padEnd(6);
      lines.push(`  ${r.time}  ${users[i].padEnd(width)}  ${status}  ${r.outcome.padEnd(15)}  ${r.reason}`);
    });
  }

  const c = result.counts;
  lines.push('', `${c['mfa-refused']} refused by MFA, ${c['bad-credentials']} bad credentials, ${c.granted} granted, ${c.unclear} unclear`, '');
  return lines.join('\n');
}

// A log is another machine's text: no control characters reach a terminal.
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, '?');
}

async function auditCommand(flags: AuditFlags, context: OperatorContext): Promise<number> {
  const { io, redactor } = context;
  const allowlistFile = flags.allowlist ? path.resolve(io.cwd, flags.allowlist) : undefined;
  const allowlist = allowlistFile ? loadAllowlist(allowlistFile) : undefined;
  if (flags.insecure) {
    context.err('warning: --insecure turns TLS verification off: anyone between here and the server can read the credentials\n');
  }

  let simulator: RunningSimulator | undefined;
  try {
    let target;
    if (flags.env) {
      const environment = loadEnvironment(path.resolve(io.cwd, flags.env));
      target = {
        baseUrl: environment.baseUrl,
        apiVersion: environment.apiVersion,
        credentials: loadCredentials(io.cwd),
        caFile: flags.caCert ? caCertFile(io.cwd, flags.caCert) : undefined,
      };
    } else {
      simulator = await startSimulator({ port: 0 });
      target = {
        baseUrl: simulator.baseUrl,
        apiVersion: simulator.apiVersion,
        credentials: simulator.credentials,
        caFile: flags.caCert ? caCertFile(io.cwd, flags.caCert) : simulator.caFile,
      };
    }
    // Account names are what an audit reports; only the password is masked.
    redactor.add(target.credentials.serviceAccountPassword);

    const result = await runAudit({
      ...target,
      isInsecure: flags.insecure,
      timeoutRequestMs: flags.timeoutRequest,
      allowlist,
    });
    context.out(formatAudit(result, flags.allowlist));
    return auditExit(result, flags.allowlist, context.err);
  } finally {
    await simulator?.close();
  }
}

/** The audit as the CLI prints it: one row per service account. */
export function formatAudit(result: AuditResult, allowlistName?: string): string {
  const mfa =
    result.isMfaEnabled === null ? 'unknown (settings not readable)' : result.isMfaEnabled ? 'on' : 'OFF';
  const lines = [`audit of ${result.target}, x-api-version ${result.apiVersion}`];
  if (result.state === 'unavailable') return `${lines.join('\n')}\n`;

  lines.push(`MFA server-wide: ${mfa}`);
  const against = allowlistName ? `checked against ${allowlistName}` : 'no --allowlist given, so none is flagged';
  lines.push(`service accounts (they bypass MFA): ${result.serviceAccounts.length}, ${against}`);

  const width = Math.max(4, ...result.serviceAccounts.map((a) => printable(a.name).length));
  for (const account of result.serviceAccounts) {
    const label = !result.hasAllowlist ? 'listed' : account.isExpected ? 'expected' : 'UNEXPECTED';
    const name = printable(account.name).padEnd(width);
    lines.push(`  ${label.padEnd(10)}  ${name}  ${account.type.padEnd(13)}  ${account.roles.join(', ')}`);
  }
  return `${lines.join('\n')}\n`;
}

function auditExit(
  result: AuditResult,
  allowlistName: string | undefined,
  err: (text: string) => void,
): number {
  if (result.state === 'clean') return EXIT.ok;

  if (result.state === 'unavailable') {
    err(`error: the audit could not read the users: ${result.reasons.join('; ')}\n  hint: ${result.hint}\n`);
    return EXIT.checkFailed;
  }

  if (result.unexpected.length > 0) {
    const names = result.unexpected.map((a) => printable(a.name)).join(', ');
    const plural = result.unexpected.length === 1 ? 'service account is' : 'service accounts are';
    err(`error: ${result.unexpected.length} ${plural} not on the allowlist: ${names}\n` +
      `  hint: clear the service-account flag in Users and Roles, or add the name to ${allowlistName ?? 'the allowlist'} if it is meant to bypass MFA\n`);
  }
  if (result.isMfaEnabled === false) {
    err('error: MFA is off server-wide, so every account bypasses it\n  hint: switch MFA on in Users and Roles (Console), then audit again\n');
  }
  return EXIT.checkFailed;
}

function caCertFile(cwd: string, file: string): string {
  const target = path.resolve(cwd, file);
  let text = '';
  try {
    text = readFileSync(target, 'utf8');
  } catch {
    // Reported below, with the hint.
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new HarnessError('ERR_CA_CERT', `--ca-cert ${file}: no readable PEM certificate`, 'export the certificate as Base-64 encoded X.509 (.pem/.cer), not DER');
  }
  return target;
}

function toMs(flag: string) {
  return (value: string): number => {
    const ms = Number(value);
    if (!Number.isInteger(ms) || ms <= 0) {
      throw new HarnessError('ERR_USAGE', `${flag} takes a whole number of milliseconds, got ${JSON.stringify(value)}`, `for example ${flag} 15000`);
    }
    return ms;
  };
}
