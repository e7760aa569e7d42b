import { randomBytes } from 'node:crypto';
import { existsSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { HarnessError } from '../errors';
import type { Redactor } from '../redact';

export type ReportRequest = { flag: string; file: string };

/**
 * Resolves a report's path against `cwd` and refuses it before any run
 * when its folder is missing or the path is a folder.
 */
export function resolveReportPath(cwd: string, request: ReportRequest): string {
  const target = path.resolve(cwd, request.file);
  const dir = path.dirname(target);
  if (!existsSync(dir)) {
    throw new HarnessError(
      'ERR_REPORT_PATH',
      `${request.flag} ${request.file}: folder ${dir} does not exist`,
      'create the folder first, or choose another path',
    );
  }
  if (!statSync(dir).isDirectory()) {
    throw new HarnessError(
      'ERR_REPORT_PATH',
      `${request.flag} ${request.file}: ${dir} is a file, not a folder`,
      'choose a path inside a folder',
    );
  }
  if (existsSync(target) && statSync(target).isDirectory()) {
    throw new HarnessError('ERR_REPORT_PATH', `${request.flag} ${request.file} is a folder`, 'name a file inside it instead');
  }
  return target;
}

/**
 * Refuses two reports aimed at one file, or a report aimed at a file the
 * run reads (collection, environment, certificate, baseline).
 */
export function assertDistinct(
  reports: readonly (ReportRequest & { resolved: string })[],
  inputs: readonly { flag: string; resolved: string }[],
): void {
  for (const [i, report] of reports.entries()) {
    const twin = reports.slice(0, i).find((r) => r.resolved === report.resolved);
    if (twin) {
      throw new HarnessError(
        'ERR_USAGE',
        `${twin.flag} and ${report.flag} name the same file ${report.file}`,
        'give each report its own file',
      );
    }
    const input = inputs.find((r) => r.resolved === report.resolved);
    if (input) {
      throw new HarnessError(
        'ERR_USAGE',
        `${report.flag} ${report.file} is the file given to ${input.flag}: writing it would destroy an input`,
        'choose another file for the report',
      );
    }
  }
}

/**
 * Writes `text`, redacted, to a new temporary file beside `file` and renames
 * it over `file`, so readers see the old file or the new one, never half of
 * one. The temporary name is new and opened exclusively: no other file is
 * ever overwritten.
 */
export function writeReport(file: string, text: string, redactor: Redactor): void {
  const temporary = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
  try {
    writeFileSync(temporary, redactor.redact(text), { mode: 0o600, flag: 'wx' });
    renameSync(temporary, file);
  } catch (cause) {
    try {
      unlinkSync(temporary);
    } catch {
      // Never created, or already renamed.
    }
    throw new HarnessError(
      'ERR_REPORT_PATH',
      `cannot write ${file}: ${(cause as NodeJS.ErrnoException).code ?? 'write failed'}`,
      'check that the folder is writable',
    );
  }
}
