import { AsyncLocalStorage } from 'node:async_hooks';
import { format } from 'node:util';

import { Redactor } from './redact';

/**
 * Diagnostics, silent unless `NODE_DEBUG` names their section (as
 * `util.debuglog` reads it: comma-separated, `*` a wildcard, any case).
 * Unlike `util.debuglog`, every line passes through the redactors of the
 * runs it belongs to before it is written, and goes where the caller of
 * those runs sends its stderr.
 */
export type DebugLog = ((message: string, ...args: unknown[]) => void) & {
  readonly enabled: boolean;
};

export type LogContext = {
  /** Masks the secrets of the work in this context. */
  redactor?: Redactor;
  /** Where the lines go; the enclosing context's sink, or stderr, if unset. */
  write?: (text: string) => void;
};

type Active = { redactors: Redactor[]; write: (text: string) => void };

const storage = new AsyncLocalStorage<Active>();

// Outside any context a line still passes a redactor: it knows no secret,
// but masks passwords, tokens and Authorization by key and by shape.
const fallback: Active = {
  redactors: [new Redactor()],
  write: (text) => process.stderr.write(text),
};

/**
 * Runs `work` with diagnostics going to `context.write` and redacted by
 * `context.redactor`, on top of any enclosing context's redactors. Holds
 * for everything `work` awaits, so concurrent runs keep their own sinks.
 */
export function withLog<T>(context: LogContext, work: () => T): T {
  const outer = storage.getStore() ?? fallback;
  const isNew = context.redactor !== undefined && !outer.redactors.includes(context.redactor);
  const redactors = isNew ? [...outer.redactors, context.redactor as Redactor] : outer.redactors;
  return storage.run({ redactors, write: context.write ?? outer.write }, work);
}

/** A diagnostics logger for `section`, such as `veeam-auth:run`. */
export function debugLog(section: string): DebugLog {
  const prefix = `${section.toUpperCase()} ${process.pid}: `;
  const log = (message: string, ...args: unknown[]) => {
    if (!isEnabled(section)) return;

    const active = storage.getStore() ?? fallback;
    let line = format(message, ...args);
    for (const redactor of active.redactors) line = redactor.redact(line);
    active.write(`${prefix}${line}\n`);
  };
  return Object.defineProperty(log, 'enabled', { get: () => isEnabled(section) }) as DebugLog;
}

let compiledFrom: string | undefined;
let compiled: RegExp | null = null;

// NODE_DEBUG is read on every call rather than once at start, so a test
// (or an embedding program) can turn sections on and off.
function isEnabled(section: string): boolean {
  const setting = process.env.NODE_DEBUG ?? '';
  if (setting !== compiledFrom) {
    compiledFrom = setting;
    const patterns = setting
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)
      .map((p) => p.replace(/[|\\{}()[\]^$+?.]/g, '\\$&').replace(/\*/g, '.*'));
    compiled = patterns.length > 0 ? new RegExp(`^(?:${patterns.join('|')})$`, 'i') : null;
  }
  return compiled !== null && compiled.test(section);
}
