import { readFileSync } from 'node:fs';
import path from 'node:path';

import { Command, CommanderError, Option } from 'commander';

import { caCertPath } from '../config/ca-cert';
import { loadCollection } from '../config/collection';
import { loadCredentials } from '../config/credentials';
import { loadEnvironment } from '../config/environment';
import { EXIT, HarnessError } from '../errors';
import { withLog } from '../log';
import { parseRevisionList } from '../matrix';
import { Redactor } from '../redact';
import { DEFAULT_TIMEOUT_REQUEST_MS, DEFAULT_TIMEOUT_RUN_MS, runChecks, type Verdict } from '../run-checks';
import { isTlsFault } from '../runner/transport';
import { FAULTS, type FaultName } from '../simulator/faults';
import { isScenarioName, SCENARIOS, type ScenarioName } from '../simulator/scenarios';
import { appendLogTo } from '../simulator/log-format';
import { startSimulator, type RunningSimulator } from '../simulator/start';
import { checkFleet } from './fleet-command';
import { formatVerdict } from './format';
import { assertDistinct, resolveReportPath, writeReport } from '../reports/write-report';
import { formatAttribution, registerOperatorCommands } from './operator-commands';
import { assertRegressionFlags, isRegressionRun, prepareRegression, runRegression, toReleaseRevision } from './regression';

export type Io = {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd: string;
  /** Resolves when the user asks a long-running command (sim) to stop. */
  untilStopped: () => Promise<void>;
  /** True when stderr is a terminal a person watches: progress shows there. */
  isTty?: boolean;
};

const PACKAGE_ROOT = path.resolve(__dirname, '..', '..');
const DEFAULT_COLLECTION = path.join(PACKAGE_ROOT, 'collections', 'vbr-auth.postman_collection.json');

type CheckFlags = {
  env?: string;
  collection: string;
  caCert?: string;
  insecure?: boolean;
  scenario?: string;
  fault?: string;
  json?: string;
  timeoutRequest: number;
  timeout: number;
  verbose?: boolean;
  revisions?: string[];
  discover?: boolean;
  /** The newest revision of the release given to --server-release. */
  serverRelease?: string;
  saveBaseline?: string;
  compare?: string;
  junit?: string;
  html?: string;
  targets?: string;
};

type SimFlags = { port: number; scenario?: string; fault?: string; serverRelease?: string; log?: string; verbose?: boolean };

const processIo = (): Io => ({
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  cwd: process.cwd(),
  isTty: process.stderr.isTTY === true && !process.env.CI,
  untilStopped: () =>
    new Promise((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    }),
});

/**
 * Runs the `veeam-auth` command line and resolves to its exit code. Prints
 * only through `io`, and every line it prints has been redacted.
 */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  const redactor = new Redactor();
  const out = (text: string) => io.stdout(printable(redactor.redact(text)));
  const err = (text: string) => io.stderr(printable(redactor.redact(text)));
  let isVerbose = argv.includes('--verbose');
  let exitCode: number = EXIT.ok;

  const program = new Command('veeam-auth')
    .description('Proves that a VBR REST API refuses tokens to MFA users and grants them to service accounts.')
    .version(packageVersion(), '-V, --version', 'print the harness version')
    .exitOverride()
    .configureOutput({ writeOut: out, writeErr: err, outputError: () => undefined })
    .showHelpAfterError(false);

  program
    .command('check')
    .description('run the collection against the built-in simulator, or a real server with --env')
    .option('--env <file>', 'Postman environment of a real server (baseUrl, apiVersion)')
    .option('--collection <file>', 'collection to run', DEFAULT_COLLECTION)
    .option('--ca-cert <pem>', "PEM file of the CA (or the VBR server's own certificate) to trust")
    .option('--insecure', 'skip TLS verification (prints a warning; never the default)')
    .addOption(new Option('--scenario <name>', 'make the built-in simulator misbehave').choices(Object.keys(SCENARIOS)))
    .addOption(new Option('--fault <name>', 'make the built-in simulator fail on the wire, in TLS or in its answers').choices(Object.keys(FAULTS)))
    .option('--json <file>', 'write the verdict as JSON to <file>')
    .option('--timeout-request <ms>', 'bound on one request: on connecting, on each wait for data, and on the whole answer', toMs('--timeout-request'), DEFAULT_TIMEOUT_REQUEST_MS)
    .option('--timeout <ms>', 'bound on the whole run', toMs('--timeout'), DEFAULT_TIMEOUT_RUN_MS)
    .option('--revisions <list>', 'run once per revision: all, or a comma list such as 1.2-rev1,1.3-rev2', parseRevisionList)
    .option('--discover', 'run the revisions the server serves, found without credentials (swagger probe)')
    .option('--server-release <release>', 'VBR release the built-in simulator plays, such as 12.3 (default: latest)', toReleaseRevision)
    .option('--save-baseline <file>', 'record this run as a baseline to compare later runs with')
    .option('--compare <file>', 'run again and report what changed since the baseline; exit 1 on a security regression')
    .option('--junit <file>', 'write JUnit XML: one testcase per check per revision')
    .option('--html <file>', 'write a self-contained HTML report')
    .option('--targets <file>', 'run many servers, each with its environment and credential variable names')
    .option('--verbose', 'print stack traces of errors')
    .action(async (flags: CheckFlags) => {
      isVerbose = Boolean(flags.verbose);
      exitCode = await check(flags, io, redactor, out, err);
    });

  program
    .command('sim')
    .description('serve the simulator on loopback for Postman or the newman CLI')
    .option('--port <n>', 'port on 127.0.0.1 (0 picks a free one)', toPort, 9419)
    .addOption(new Option('--scenario <name>', 'how the simulator misbehaves').choices(Object.keys(SCENARIOS)))
    .addOption(new Option('--fault <name>', 'how the simulator fails on the wire, in TLS or in its answers').choices(Object.keys(FAULTS)))
    .option('--server-release <release>', 'VBR release to play, such as 12.3 (default: latest)', toReleaseRevision)
    .option('--log <file>', "append the server's REST log to <file>, in Svc.ResAPI.log's format")
    .option('--verbose', 'print stack traces of errors')
    .action(async (flags: SimFlags) => {
      exitCode = await sim(flags, io, out);
    });

  registerOperatorCommands(program, {
    io,
    redactor,
    out,
    err,
    defaultCollection: DEFAULT_COLLECTION,
    setExitCode: (code) => {
      exitCode = code;
    },
    setVerbose: (value) => {
      isVerbose = value;
    },
  });

  try {
    // Diagnostics (NODE_DEBUG=veeam-auth:*) go to io.stderr, redacted too.
    await withLog({ redactor, write: io.stderr }, () => program.parseAsync(argv, { from: 'user' }));
    return exitCode;
  } catch (cause) {
    return report(cause, err, isVerbose);
  }
}

async function check(
  flags: CheckFlags,
  io: Io,
  redactor: Redactor,
  out: (text: string) => void,
  err: (text: string) => void,
): Promise<number> {
  if (flags.env && flags.scenario) {
    throw new HarnessError('ERR_USAGE', '--scenario applies to the built-in simulator, not to a server given with --env', 'drop --scenario, or drop --env to use the simulator');
  }
  if (flags.env && flags.fault) {
    throw new HarnessError('ERR_USAGE', '--fault applies to the built-in simulator, not to a server given with --env', 'drop --fault, or drop --env to use the simulator');
  }

  const collection = loadCollection(path.resolve(io.cwd, flags.collection));
  // Files the run reads, which no report may replace.
  const inputs = [
    { flag: '--collection', file: collection.path },
    { flag: '--env', file: flags.env && path.resolve(io.cwd, flags.env) },
    { flag: '--ca-cert', file: flags.caCert && path.resolve(io.cwd, flags.caCert) },
    { flag: '--targets', file: flags.targets && path.resolve(io.cwd, flags.targets) },
    { flag: 'the .env file', file: path.join(io.cwd, '.env') },
    { flag: 'the .env.example file', file: path.join(io.cwd, '.env.example') },
  ];
  const jsonFile = flags.json ? resolveReportPath(io.cwd, { flag: '--json', file: flags.json }) : undefined;
  if (jsonFile && flags.json) {
    assertDistinct(
      [{ flag: '--json', file: flags.json, resolved: jsonFile }],
      inputs.filter((i): i is { flag: string; file: string } => Boolean(i.file)).map((i) => ({ flag: i.flag, resolved: i.file })),
    );
  }
  if (flags.targets) {
    const clash = (['env', 'scenario', 'fault', 'revisions', 'discover', 'serverRelease', 'saveBaseline', 'compare', 'junit', 'html'] as const)
      .find((key) => flags[key] !== undefined);
    if (clash) {
      const flag = `--${clash.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      throw new HarnessError('ERR_USAGE', `--targets cannot be combined with ${flag}`, 'each target names its own environment; run a matrix or a baseline per server');
    }
    const fleet = await checkFleet(
      { targets: flags.targets, caCert: flags.caCert, insecure: flags.insecure, timeoutRequest: flags.timeoutRequest, timeout: flags.timeout },
      { cwd: io.cwd, collection, redactor, out, err },
    );
    if (jsonFile) {
      const servers = fleet.members.map((m) => ({ name: m.name, ...(m.verdict ? publicVerdict(m.verdict) : { passed: false, error: m.error }) }));
      const report = { passed: fleet.exitCode === EXIT.ok, servers };
      writeReport(jsonFile, `${JSON.stringify(report, null, 2)}\n`, redactor);
    }
    return fleet.exitCode;
  }
  assertRegressionFlags(flags);
  const regression = isRegressionRun(flags)
    ? prepareRegression(flags, io.cwd, inputs)
    : undefined;
  if (flags.insecure) {
    err('warning: --insecure turns TLS verification off: anyone between here and the server can read the credentials\n');
  }

  let simulator: RunningSimulator | undefined;
  try {
    let target;
    if (flags.env) {
      const environment = loadEnvironment(path.resolve(io.cwd, flags.env));
      const caFile = flags.caCert ? caCertPath(io.cwd, flags.caCert) : undefined;
      target = { environment, credentials: loadCredentials(io.cwd), caFile };
    } else {
      simulator = await startSimulator({ port: 0, scenario: (flags.scenario ?? 'healthy') as ScenarioName, fault: flags.fault as FaultName | undefined, apiVersion: flags.serverRelease });
      target = {
        environment: { name: 'simulator', baseUrl: simulator.baseUrl, apiVersion: simulator.apiVersion, values: [
          { key: 'baseUrl', value: simulator.baseUrl },
          { key: 'apiVersion', value: simulator.apiVersion },
        ] },
        credentials: simulator.credentials,
        caFile: flags.caCert ? caCertPath(io.cwd, flags.caCert) : simulator.caFile,
      };
    }

    if (regression) {
      return await runRegression(regression, {
        collection,
        ...target,
        isInsecure: flags.insecure,
        timeoutRequestMs: flags.timeoutRequest,
        timeoutRunMs: flags.timeout,
        redactor,
        target: flags.env ? target.environment.baseUrl : 'simulator',
        isTty: io.isTty === true,
        out,
        err,
        progressWrite: (text) => io.stderr(text),
        publicVerdict,
        describeVerdict: (verdict) => `${formatVerdict(verdict)}${formatAttribution(verdict)}`,
        exitCodeOfVerdict: (verdict) => exitCodeOf(verdict, err),
      });
    }

    const verdict = await runChecks({
      collection,
      ...target,
      isInsecure: flags.insecure,
      timeoutRequestMs: flags.timeoutRequest,
      timeoutRunMs: flags.timeout,
      redactor,
    });

    out(formatVerdict(verdict));
    out(formatAttribution(verdict));
    const service = verdict.checks.find((c) => c.id === 'service-account-token');
    if (flags.env && service?.status === 401) {
      err('hint: the service account was refused: check VBR_SERVICE_ACCOUNT_USERNAME and _PASSWORD, that the account is flagged "This is a service account", and, in .env, quote a password that holds # or spaces\n');
    }
    if (jsonFile) writeReport(jsonFile, `${JSON.stringify(publicVerdict(verdict), null, 2)}\n`, redactor);
    return exitCodeOf(verdict, err);
  } finally {
    await simulator?.close();
  }
}

async function sim(flags: SimFlags, io: Io, out: (text: string) => void): Promise<number> {
  const scenario = (flags.scenario ?? 'healthy') as ScenarioName;
  if (!isScenarioName(scenario)) throw new HarnessError('ERR_SCENARIO_UNKNOWN', `unknown scenario ${scenario}`);

  const logFile = flags.log ? path.resolve(io.cwd, flags.log) : undefined;
  const simulator = await startSimulator({ port: flags.port, scenario, fault: flags.fault as FaultName | undefined, apiVersion: flags.serverRelease, onLog: logFile ? appendLogTo(logFile) : undefined });
  const collection = path.relative(io.cwd, DEFAULT_COLLECTION) || DEFAULT_COLLECTION;
  // The demo passwords are made for this simulator and die with it; they
  // are the one thing printed unmasked, on purpose.
  io.stdout(
    [
      `simulator (${scenario}${flags.fault ? `, fault ${flags.fault}` : ''}) listening on ${simulator.baseUrl}`,
      `x-api-version  ${simulator.apiVersion}`,
      `CA file        ${simulator.caFile}`,
      `certificate    ${simulator.certFile}`,
      `environment    ${simulator.environmentFile}`,
      ...(logFile ? [`REST log       ${logFile}`] : []),
      `service account  ${simulator.credentials.serviceAccountUsername} / ${simulator.credentials.serviceAccountPassword}`,
      `MFA user         ${simulator.credentials.mfaUsername} / ${simulator.credentials.mfaPassword}`,
      '',
      'run the collection with the newman CLI:',
      `  npx newman run ${collection} -e ${simulator.environmentFile} --ssl-extra-ca-certs ${simulator.caFile}`,
      'press Ctrl-C to stop',
      '',
    ].join('\n'),
  );

  await io.untilStopped();
  await simulator.close();
  out('simulator stopped\n');
  return EXIT.ok;
}

function exitCodeOf(verdict: Verdict, err: (text: string) => void): number {
  for (const retry of verdict.retries ?? []) {
    err(`note: retried ${retry.method} ${retry.path} on ${retry.host} once after a connection reset (${retry.code})\n`);
  }
  if (verdict.transport) {
    err(`error: ${verdict.transport.summary} (${verdict.transport.code})\n  hint: ${verdict.transport.hint}\n`);
    return isTlsFault(verdict.transport.kind) ? EXIT.tlsUntrusted : EXIT.unreachable;
  }
  if (verdict.serverFault) {
    err(`error: ${verdict.serverFault.summary}\n  hint: ${verdict.serverFault.hint}\n`);
    return EXIT.checkFailed;
  }
  return verdict.passed ? EXIT.ok : EXIT.checkFailed;
}

/** The verdict as `--json` writes it: the documented fields, nothing more. */
export function publicVerdict(verdict: Verdict) {
  return {
    passed: verdict.passed,
    collection: verdict.collection,
    target: verdict.target,
    apiVersion: verdict.apiVersion,
    checks: verdict.checks.map((c) => ({
      id: c.id,
      passed: c.passed,
      outcome: c.outcome,
      expectation: c.expectation,
      status: c.status,
      errorCode: c.errorCode,
      reason: c.reason,
      ...(c.attribution ? { attribution: c.attribution } : {}),
    })),
    errors: verdict.errors,
    transport: verdict.transport,
    serverFault: verdict.serverFault ?? null,
    retries: verdict.retries ?? [],
  };
}

function report(cause: unknown, err: (text: string) => void, isVerbose: boolean): number {
  if (cause instanceof CommanderError) {
    if (cause.exitCode === 0) return EXIT.ok;
    err(`error: ${cause.message.replace(/^error:\s*/, '')}\n  hint: run veeam-auth --help for the commands and flags\n`);
    return EXIT.usage;
  }
  if (cause instanceof HarnessError) {
    err(`error: ${cause.message}\n${cause.hint ? `  hint: ${cause.hint}\n` : ''}`);
    if (isVerbose && cause.stack) err(`${cause.stack}\n`);
    return cause.exitCode;
  }

  const error = cause instanceof Error ? cause : new Error(String(cause));
  err(`error: unexpected failure: ${error.message}\n  hint: run again with --verbose and report the output\n`);
  if (isVerbose && error.stack) err(`${error.stack}\n`);
  return EXIT.internal;
}

function toMs(flag: string) {
  return (value: string): number => {
    const ms = Number(value);
    // Node's timers hold at most 2^31-1 ms; a larger bound would fire at once.
    if (!Number.isInteger(ms) || ms <= 0 || ms > 2_147_483_647) {
      throw new HarnessError('ERR_USAGE', `${flag} takes a whole number of milliseconds, got ${JSON.stringify(value)}`, `for example ${flag} 15000`);
    }
    return ms;
  };
}

function toPort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new HarnessError('ERR_USAGE', `--port takes a port number from 0 to 65535, got ${JSON.stringify(value)}`, 'for example --port 9419');
  }
  return port;
}

function packageVersion(): string {
  const file = path.join(PACKAGE_ROOT, 'package.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

/**
 * Replaces control characters (a carriage return, an escape sequence) with
 * `?`: a server's errorCode or content type must not be able to redraw the
 * verdict on a terminal.
 */
function printable(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?');
}
