import path from 'node:path';

import { caCertPath } from '../config/ca-cert';
import type { CollectionFile } from '../config/collection';
import { loadCredentials } from '../config/credentials';
import { loadEnvironment } from '../config/environment';
import { EXIT, HarnessError } from '../errors';
import { loadFleet, runFleet, type FleetMember } from '../fleet';
import type { Redactor } from '../redact';
import { runChecks, type Verdict } from '../run-checks';
import { isTlsFault } from '../runner/transport';

export type FleetFlags = {
  targets: string;
  caCert?: string;
  insecure?: boolean;
  timeoutRequest: number;
  timeout: number;
};

export type FleetContext = {
  cwd: string;
  collection: CollectionFile;
  redactor: Redactor;
  out: (text: string) => void;
  err: (text: string) => void;
};

/**
 * `check --targets`: prepares every server first, so that a bad file or a
 * missing variable stops the fleet before any request, then runs them with
 * the file's concurrency bound and prints one line per server.
 */
export async function checkFleet(
  flags: FleetFlags,
  context: FleetContext,
): Promise<{ exitCode: number; members: FleetMember[] }> {
  const fleet = loadFleet(path.resolve(context.cwd, flags.targets));

  const prepared = fleet.targets.map((target) => {
    try {
      const caCert = target.caCert ?? (flags.caCert && path.resolve(context.cwd, flags.caCert));
      return {
        name: target.name,
        environment: loadEnvironment(target.env),
        credentials: loadCredentials(context.cwd, target.credentialVariables),
        caFile: caCert ? caCertPath(context.cwd, caCert) : undefined,
      };
    } catch (cause) {
      if (cause instanceof HarnessError) {
        throw new HarnessError(cause.code, `target ${target.name}: ${cause.message}`, cause.hint);
      }
      throw cause;
    }
  });

  const members = await runFleet(
    prepared.map((target) => ({
      name: target.name,
      run: () =>
        runChecks({
          collection: context.collection,
          environment: target.environment,
          credentials: target.credentials,
          caFile: target.caFile,
          isInsecure: flags.insecure,
          timeoutRequestMs: flags.timeoutRequest,
          timeoutRunMs: flags.timeout,
          redactor: context.redactor,
        }),
    })),
    fleet.concurrency,
  );

  context.out(formatFleet(members, prepared.map((t) => t.environment.baseUrl)));
  return { exitCode: fleetExitCode(members), members };
}

/** 1 when any server broke an expectation, else 5 for TLS, 4 for unreachable. */
export function fleetExitCode(members: readonly FleetMember[]): number {
  const verdicts = members.map((m) => m.verdict).filter((v): v is Verdict => v !== undefined);
  const isFailed = (v: Verdict) => !v.passed && !v.transport;
  if (verdicts.some(isFailed)) return EXIT.checkFailed;
  if (verdicts.some((v) => v.transport && isTlsFault(v.transport.kind))) return EXIT.tlsUntrusted;
  if (verdicts.some((v) => v.transport) || members.some((m) => m.error)) return EXIT.unreachable;
  return EXIT.ok;
}

function formatFleet(members: readonly FleetMember[], urls: readonly string[]): string {
  const nameWidth = Math.max(...members.map((m) => m.name.length));
  const urlWidth = Math.max(...urls.map((u) => u.length));
  const lines: string[] = [];
  let passed = 0;

  members.forEach((member, i) => {
    const lead = `${member.name.padEnd(nameWidth)}  ${urls[i].padEnd(urlWidth)}`;
    const verdict = member.verdict;
    if (!verdict) {
      lines.push(`  NONE  ${lead}  ${member.error?.message ?? 'no verdict'}`);
      return;
    }
    if (verdict.transport) {
      lines.push(`  NONE  ${lead}  ${verdict.transport.summary} (${verdict.transport.code})`);
      return;
    }

    const good = verdict.checks.filter((c) => c.passed).length;
    const failed = verdict.checks.filter((c) => !c.passed);
    if (verdict.passed) passed += 1;
    lines.push(`  ${verdict.passed ? 'PASS' : 'FAIL'}  ${lead}  ${good}/${verdict.checks.length} checks` +
      (failed.length ? `; failed: ${failed.map((c) => c.id).join(', ')}` : ''));
    for (const check of failed) lines.push(`        ${check.id}: ${check.reason}`);
  });

  const unreachable = members.filter((m) => !m.verdict || m.verdict.transport).length;
  const failed = members.length - passed - unreachable;
  lines.push('', `${members.length} servers: ${passed} passed, ${failed} failed, ${unreachable} unreachable`);
  return `${lines.join('\n')}\n`;
}
