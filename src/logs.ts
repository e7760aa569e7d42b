import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

import { HarnessError } from './errors';
import { namesMatch } from './user-names';

/**
 * Reads VBR's REST log (Svc.ResAPI.log) and tells, for each password-grant
 * token request, why it got the answer it got. The MFA signature: the
 * server logs "Authenticated user" (the password was right) and then
 * "Login failed" (the token was refused). No "Authenticated user" before a
 * 401 means the credentials were wrong.
 */

export type TokenRequestOutcome = 'mfa-refused' | 'bad-credentials' | 'granted' | 'unclear';

export type TokenRequest = {
  /** The log's own time stamp, `dd.MM.yyyy HH:mm:ss.fff`, server-local. */
  time: string;
  /** That time as milliseconds, read as if it were UTC. */
  timestamp: number;
  /** Line number of the request in the log, from 1. */
  line: number;
  user: string;
  status: number | null;
  outcome: TokenRequestOutcome;
  reason: string;
};

export type LogAttribution = {
  /** Lines read, blank ones included. */
  lines: number;
  entries: number;
  /** Indented lines that continue the entry above (stack traces). */
  continuations: number;
  malformed: number;
  /** Line numbers of the first malformed lines, at most ten. */
  malformedLines: number[];
  requests: TokenRequest[];
  counts: Record<TokenRequestOutcome, number>;
};

export type LogFilter = {
  /** Only token requests for this account (names compared as Windows does). */
  user?: string;
  /** Only token requests at or after this log time, in milliseconds as `timestamp`. */
  since?: number;
};

const ENTRY =
  /^\[(\d{2})\.(\d{2})\.(\d{4}) (\d{2}):(\d{2}):(\d{2})\.(\d{3})\] <(\d+)> (\w+)\s+(.*)$/;
const TOKEN_REQUEST =
  /request to \[\/api\/oauth2\/token\] deserialized\. Message: \[(.*?)\](?:;|\.?\s*$)/;
const AUTHENTICATED = /^Authenticated user: \[(.+)\]\s*\.?\s*$/;
const LOGIN_FAILED = /^Login failed for user '(.+)'\.?\s*$/;
const TOKEN_RESPONSE = /^\[POST \/api\/oauth2\/token\]: \[(\d{3})\]/;

type Pending = {
  request: TokenRequest;
  thread: string;
  isAuthenticated: boolean;
  isLoginFailed: boolean;
};

const MALFORMED_LINES_KEPT = 10;

/**
 * Streams the log line by line, so its size does not matter, and returns
 * what each password-grant token request amounted to. Lines that are not
 * log entries are counted and skipped. Nothing of a message is kept but the
 * user name and what the server answered.
 */
export async function attributeLog(
  source: string | Readable,
  filter: LogFilter = {},
): Promise<LogAttribution> {
  const input = typeof source === 'string' ? openLog(source) : source;
  const result: LogAttribution = {
    lines: 0,
    entries: 0,
    continuations: 0,
    malformed: 0,
    malformedLines: [],
    requests: [],
    counts: { 'mfa-refused': 0, 'bad-credentials': 0, granted: 0, unclear: 0 },
  };
  const pending: Pending[] = [];

  const lines = createInterface({ input, crlfDelay: Infinity });
  for await (const raw of lines) {
    result.lines += 1;
    const line = result.lines === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (line.trim() === '') continue;

    const entry = ENTRY.exec(line);
    if (!entry) {
      if (/^\s/.test(line)) {
        result.continuations += 1;
      } else {
        result.malformed += 1;
        if (result.malformedLines.length < MALFORMED_LINES_KEPT) {
          result.malformedLines.push(result.lines);
        }
      }
      continue;
    }

    result.entries += 1;
    const [, dd, mm, yyyy, hh, mi, ss, ms, thread, , message] = entry;
    read(message, {
      time: `${dd}.${mm}.${yyyy} ${hh}:${mi}:${ss}.${ms}`,
      timestamp: Date.UTC(+yyyy, +mm - 1, +dd, +hh, +mi, +ss, +ms),
      thread,
      line: result.lines,
    }, pending, result);
  }

  for (const open of pending.splice(0)) settle(open, result);
  result.requests = result.requests.filter((r) => isWanted(r, filter));
  for (const r of result.requests) result.counts[r.outcome] += 1;
  return result;
}

function read(
  message: string,
  at: { time: string; timestamp: number; thread: string; line: number },
  pending: Pending[],
  result: LogAttribution,
): void {
  const request = TOKEN_REQUEST.exec(message);
  if (request) {
    const form = new URLSearchParams(request[1]);
    if ((form.get('grant_type') ?? '').toLowerCase() !== 'password') return;
    pending.push({
      request: {
        time: at.time,
        timestamp: at.timestamp,
        line: at.line,
        user: form.get('username') ?? '(no user name)',
        status: null,
        outcome: 'unclear',
        reason: '',
      },
      thread: at.thread,
      isAuthenticated: false,
      isLoginFailed: false,
    });
    return;
  }

  const authenticated = AUTHENTICATED.exec(message);
  if (authenticated) {
    const open = pendingFor(pending, authenticated[1], at.thread);
    if (open) open.isAuthenticated = true;
    return;
  }

  const failed = LOGIN_FAILED.exec(message);
  if (failed) {
    const open = pendingFor(pending, failed[1], at.thread);
    if (open) open.isLoginFailed = true;
    return;
  }

  // The server answers on another thread than the one that handled the
  // request (<36> and <08> in Veeam's own sample), so answers are matched
  // to requests in the order the requests came.
  const response = TOKEN_RESPONSE.exec(message);
  if (response) {
    const index = pending.findIndex((p) => p.request.status === null);
    if (index < 0) return;
    const [open] = pending.splice(index, 1);
    open.request.status = Number(response[1]);
    settle(open, result);
  }
}

/**
 * The oldest open request for `user`, one on the same thread first. The
 * server may log another form of the name than the client sent
 * (`TECH\jdoe` for `jdoe@tech.local`): then the thread alone decides.
 */
function pendingFor(pending: Pending[], user: string, thread: string): Pending | undefined {
  const forUser = pending.filter((p) => namesMatch(user, p.request.user));
  return (
    forUser.find((p) => p.thread === thread) ??
    forUser[0] ??
    pending.find((p) => p.thread === thread)
  );
}

function settle(open: Pending, result: LogAttribution): void {
  const { request } = open;
  const status = request.status;
  const decision = decide(open.isAuthenticated, open.isLoginFailed, status);
  request.outcome = decision.outcome;
  request.reason = decision.reason;
  result.requests.push(request);
}

function decide(
  isAuthenticated: boolean,
  isLoginFailed: boolean,
  status: number | null,
): { outcome: TokenRequestOutcome; reason: string } {
  if (status === 200) return { outcome: 'granted', reason: 'token issued' };
  if (isAuthenticated && isLoginFailed) {
    return {
      outcome: 'mfa-refused',
      reason: 'password accepted, then the token was refused: the MFA signature',
    };
  }
  if (isAuthenticated) {
    return {
      outcome: 'unclear',
      reason: status === null
        ? 'password accepted; the log holds no answer (cut off?)'
        : `password accepted, then ${status} without "Login failed": a cause the log does not name`,
    };
  }
  if (status === 401 || isLoginFailed) {
    return {
      outcome: 'bad-credentials',
      reason: 'no "Authenticated user": the user name or password was wrong',
    };
  }
  if (status === null) return { outcome: 'unclear', reason: 'the log holds no answer (cut off?)' };
  return { outcome: 'unclear', reason: `refused with ${status} before the password was checked` };
}

function isWanted(request: TokenRequest, filter: LogFilter): boolean {
  if (filter.user !== undefined && !namesMatch(filter.user, request.user)) return false;
  if (filter.since !== undefined && request.timestamp < filter.since) return false;
  return true;
}

function openLog(file: string): Readable {
  let isFile = false;
  try {
    isFile = statSync(file).isFile();
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new HarnessError(
      'ERR_USAGE',
      `log file ${file}: ${code === 'ENOENT' ? 'no such file' : `cannot be read (${code ?? 'unknown error'})`}`,
      'give the path of Svc.ResAPI.log, by default C:\\ProgramData\\Veeam\\Backup\\Svc.ResAPI.log on the VBR server',
    );
  }
  if (!isFile) {
    throw new HarnessError('ERR_USAGE', `log file ${file} is not a file`, 'give the path of Svc.ResAPI.log itself, not its folder');
  }
  return createReadStream(file, { encoding: 'utf8' });
}

/**
 * Reads a `--since` time, either as the log writes it
 * (`dd.MM.yyyy HH:mm[:ss]`) or as `yyyy-MM-ddTHH:mm[:ss]`, in the server's
 * local time. Returns milliseconds on the same scale as `timestamp`.
 */
export function parseLogTime(value: string): number | null {
  const log = /^(\d{2})\.(\d{2})\.(\d{4})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value.trim());
  if (log) return Date.UTC(+log[3], +log[2] - 1, +log[1], +log[4], +log[5], +(log[6] ?? 0));
  const iso = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value.trim());
  if (iso) return Date.UTC(+iso[1], +iso[2] - 1, +iso[3], +iso[4], +iso[5], +(iso[6] ?? 0));
  return null;
}
