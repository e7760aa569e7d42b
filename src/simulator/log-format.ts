import { appendFileSync, closeSync, openSync } from 'node:fs';

import { HarnessError } from '../errors';
import type { LogEntry } from './model';

// Svc.ResAPI.log pads the level to a column: "Info         message".
const LEVEL_COLUMN = 12;

const two = (n: number) => String(n).padStart(2, '0');

/**
 * One entry as a line of Svc.ResAPI.log:
 * `[dd.MM.yyyy HH:mm:ss.fff] <thread> Level        message`. The simulator
 * writes UTC; a real server writes its local time.
 */
export function formatLogEntry(entry: LogEntry): string {
  const t = entry.time;
  const date = `${two(t.getUTCDate())}.${two(t.getUTCMonth() + 1)}.${t.getUTCFullYear()}`;
  const time = `${two(t.getUTCHours())}:${two(t.getUTCMinutes())}:${two(t.getUTCSeconds())}`;
  const ms = String(t.getUTCMilliseconds()).padStart(3, '0');
  const thread = two(entry.thread ?? 1);
  return `[${date} ${time}.${ms}] <${thread}> ${entry.level.padEnd(LEVEL_COLUMN)} ${entry.message}`;
}

/** The whole log, one line per entry, as the server would have written it. */
export function formatLog(entries: readonly LogEntry[]): string {
  return entries.map((e) => `${formatLogEntry(e)}\n`).join('');
}

/**
 * A log hook for the simulator that appends each line to `file` as the
 * server writes it, as Svc.ResAPI.log grows on a real server. Creates the
 * file (mode 0600) when it does not exist.
 */
export function appendLogTo(file: string): (entry: LogEntry) => void {
  try {
    closeSync(openSync(file, 'a', 0o600));
  } catch (cause) {
    throw new HarnessError(
      'ERR_REPORT_PATH',
      `cannot write the REST log to ${file} (${(cause as NodeJS.ErrnoException).code ?? 'write failed'})`,
      'create its folder first, or choose another path',
    );
  }
  return (entry) => appendFileSync(file, `${formatLogEntry(entry)}\n`);
}
