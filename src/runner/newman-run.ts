import http from 'node:http';
import https from 'node:https';

import newman from 'newman';

import { HarnessError } from '../errors';
import { RESPONSE_TIMEOUT_CODE } from './transport';

/**
 * What newman reports of one request, typed for what the harness reads.
 * @types/newman describes newman 5 and lacks `requestError`, so the shape is
 * declared here.
 */
export type Execution = {
  /** Name of the top-level folder the request sits in (its check id). */
  folder: string;
  itemName: string;
  method: string;
  url: string;
  headers: { key: string; value: string }[];
  body: string;
  status: number | null;
  responseBody: string;
  /** The answer's Content-Type header, when it had one. */
  contentType?: string | null;
  requestError: { code?: string; message: string; timeoutMs?: number } | null;
  assertions: { name: string; error: string | null }[];
  /** Set when this is the one retry of a request: the code the first attempt got. */
  retriedAfter?: string;
};

export type NewmanOptions = {
  collection: object;
  environment: { name: string; values: { key: string; value: string; type?: string }[] };
  caFile?: string;
  isInsecure?: boolean;
  timeoutRequestMs: number;
  timeoutRunMs: number;
  /**
   * Turns on one retry after a connection reset, for the requests that
   * cannot count against a lockout: GET and HEAD, and password grants with
   * exactly these credentials. Nothing that got an answer is ever retried.
   */
  serviceAccount?: { username: string; password: string };
};

/** A request that got a connection reset, as the retry policy sees it. */
export type RetryCandidate = {
  method: string;
  /** The form fields of a urlencoded body; null for any other body. */
  form: Record<string, string> | null;
};

type RawItem = {
  name: string;
  parent?: () => RawItem | undefined;
};

type RawRequest = {
  method?: string;
  url?: { toString(): string };
  headers?: { all(): { key: string; value: string }[] };
  body?: {
    mode?: string;
    urlencoded?: { all(): { key: string; value: string; disabled?: boolean }[] };
    toString(): string;
  };
};

type RawExecution = {
  item: RawItem & { id?: string };
  cursor?: { ref?: string };
  request?: RawRequest;
  response?: { code: number; stream?: Buffer; headers?: { get(name: string): string | undefined } };
  requestError?: { code?: string; message?: string };
  assertions?: { assertion: string; skipped?: boolean; error?: { message?: string } }[];
};

type RequestEvent = {
  item: { id: string };
  cursor: { ref: string };
  request?: RawRequest;
};

type LiveSummary = { globals: { set(key: string, value: string): void } };

/**
 * The global through which the runner asks the collection-level script to
 * send the current request once more. The runner sets it when newman reports
 * the request's error, which is before the request's test scripts run.
 */
const RETRY_VARIABLE = 'veeamAuthRetry';

/**
 * The global through which the runner stops the run after a request got no
 * answer that will not be retried: the server is down, unknown or untrusted,
 * and every further request would only wait out its own timeout.
 */
const HALT_VARIABLE = 'veeamAuthHalt';

const RUN_SCRIPT = [
  '// Added by veeam-auth at run time: sends a request once more after a',
  '// connection reset, and stops the run once the server gave no answer.',
  `if (pm.globals.get('${RETRY_VARIABLE}') === pm.info.requestId) {`,
  `    pm.globals.unset('${RETRY_VARIABLE}');`,
  '    pm.execution.setNextRequest(pm.info.requestId);',
  `} else if (pm.globals.get('${HALT_VARIABLE}')) {`,
  '    pm.execution.setNextRequest(null);',
  '}',
];

const RESET_CODES = new Set(['ECONNRESET', 'EPIPE']);

const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', RESPONSE_TIMEOUT_CODE]);

/** Runs a collection through newman's Node API and returns what each request did. */
export function runNewman(options: NewmanOptions): Promise<Execution[]> {
  return new Promise((resolve, reject) => {
    const { serviceAccount } = options;
    const collection = withRunScript(options.collection);
    const run: newman.NewmanRunOptions = {
      collection: collection as newman.NewmanRunOptions['collection'],
      environment: options.environment as unknown as newman.NewmanRunOptions['environment'],
      reporters: [],
      timeout: options.timeoutRunMs,
      timeoutRequest: options.timeoutRequestMs,
      timeoutScript: options.timeoutRequestMs,
      // A followed redirect would send the form body, passwords included, to
      // whatever origin the server names, and judge that origin's answer.
      ignoreRedirects: true,
    };
    // newman's own bound is on connecting and on each wait for data, so a
    // server that drips its answer never trips it; these agents bound the
    // whole answer too.
    (run as { requestAgents?: object }).requestAgents = deadlineAgents(options.timeoutRequestMs);
    // `insecure: false` spelled out breaks every HTTPS request under nock
    // (SSL Error: undefined), so the key is set only when asked for.
    if (options.isInsecure) run.insecure = true;
    if (options.caFile) {
      (run as { sslExtraCaCerts?: string }).sslExtraCaCerts = options.caFile;
    }

    // Refs of the attempts that were retried, and the items they belong to.
    const retried = new Map<string, string>();
    const emitter = newman.run(run, (err, summary) => {
      if (err) {
        reject(isRunTimeout(err) ? runTimeout(options.timeoutRunMs) : err);
        return;
      }
      const executions = summary.run.executions as unknown as RawExecution[];
      resolve(withoutRetriedAttempts(executions, retried).map((e) => toExecution(e, options.timeoutRequestMs)));
    });

    emitter.on('request', (err: { code?: string } | null, args: RequestEvent) => {
      if (!err) return;
      const { summary } = emitter as unknown as { summary: LiveSummary };
      const itemId = args.item.id;
      const isRetried =
        serviceAccount !== undefined &&
        err.code === 'ECONNRESET' &&
        ![...retried.values()].includes(itemId) &&
        isSafeToRetry(candidateOf(args.request), serviceAccount);

      if (isRetried) {
        retried.set(args.cursor.ref, itemId);
        summary.globals.set(RETRY_VARIABLE, itemId);
      } else if (!RESET_CODES.has(err.code ?? '')) {
        // A reset comes from a server that is there; anything else (DNS,
        // refused, TLS, timeout) would only repeat on every request.
        summary.globals.set(HALT_VARIABLE, 'true');
      }
    });
  });
}

/**
 * Whether a request may be sent again after a connection reset. A reset
 * can come after the server has checked the password, so only what cannot
 * count as a bad password goes again: reads, and the service account's
 * own password grant.
 */
export function isSafeToRetry(
  request: RetryCandidate,
  serviceAccount: { username: string; password: string },
): boolean {
  const method = request.method.toUpperCase();
  if (method === 'GET' || method === 'HEAD') return true;

  const form = request.form;
  return (
    method === 'POST' &&
    form !== null &&
    (form.grant_type ?? '').toLowerCase() === 'password' &&
    form.username === serviceAccount.username &&
    form.password === serviceAccount.password
  );
}

function candidateOf(request: RawRequest | undefined): RetryCandidate {
  const body = request?.body;
  const form =
    body?.mode === 'urlencoded' && body.urlencoded
      ? Object.fromEntries(
          body.urlencoded
            .all()
            .filter((p) => !p.disabled)
            .map((p) => [p.key, String(p.value)]),
        )
      : null;
  return { method: request?.method ?? 'GET', form };
}

function withRunScript(collection: object): object {
  // Appended to each request's own test script rather than added at the
  // collection level: every script is a sandbox execution of its own, and
  // one more per request cost about a quarter of a run's CPU.
  type Node = { item?: Node[]; request?: unknown; event?: { listen?: string; script?: { exec?: string | string[] } }[] };
  const add = (node: Node): Node => {
    if (Array.isArray(node.item)) return { ...node, item: node.item.map(add) };
    if (!node.request) return node;

    const events = Array.isArray(node.event) ? node.event : [];
    const test = events.find((e) => e.listen === 'test');
    if (!test) {
      return { ...node, event: [...events, { listen: 'test', script: { type: 'text/javascript', exec: RUN_SCRIPT } } as never] };
    }
    const exec = test.script?.exec;
    const lines = Array.isArray(exec) ? exec : typeof exec === 'string' ? exec.split('\n') : [];
    const patched = { ...test, script: { ...test.script, exec: [...lines, ...RUN_SCRIPT] } };
    return { ...node, event: events.map((e) => (e === test ? patched : e)) };
  };
  return add(structuredClone(collection) as Node);
}

/** Drops each attempt that was retried and marks the retry that replaced it. */
function withoutRetriedAttempts(
  executions: RawExecution[],
  retried: ReadonlyMap<string, string>,
): (RawExecution & { retriedAfter?: string })[] {
  const pending = new Map<string, string>();
  const kept: (RawExecution & { retriedAfter?: string })[] = [];
  for (const execution of executions) {
    const ref = execution.cursor?.ref;
    const itemId = execution.item.id;
    if (ref !== undefined && retried.has(ref)) {
      pending.set(retried.get(ref) as string, execution.requestError?.code ?? 'ECONNRESET');
      continue;
    }
    if (itemId !== undefined && pending.has(itemId)) {
      kept.push({ ...execution, retriedAfter: pending.get(itemId) });
      pending.delete(itemId);
      continue;
    }
    kept.push(execution);
  }
  return kept;
}

/**
 * Agents that end a request whose answer has begun but not finished within
 * `ms` of the request's start. Before the answer begins, newman's own
 * connect and idle timers apply. The class name carries the bound because
 * postman-request pools agents by it.
 */
function deadlineAgents(ms: number) {
  return {
    http: { agentClass: deadlineAgentClass(http.Agent, ms), agentOptions: { keepAlive: true } },
    https: { agentClass: deadlineAgentClass(https.Agent, ms), agentOptions: { keepAlive: true } },
  };
}

type AgentClass = new (options?: https.AgentOptions) => http.Agent;

function deadlineAgentClass(Base: AgentClass, ms: number): AgentClass {
  // addRequest is how Node's client hands each request to its agent; it is
  // not in @types/node, so it is reached through a cast.
  class DeadlineAgent extends Base {
    addRequest(req: http.ClientRequest, options: object): void {
      const startedAt = Date.now();
      let timer: NodeJS.Timeout | undefined;
      req.once('response', () => {
        timer = setTimeout(
          () => req.destroy(responseTimeout(ms)),
          Math.max(0, startedAt + ms - Date.now()),
        );
      });
      req.once('close', () => clearTimeout(timer));
      (Base.prototype as unknown as { addRequest(r: http.ClientRequest, o: object): void }).addRequest.call(this, req, options);
    }
  }
  Object.defineProperty(DeadlineAgent, 'name', { value: `VeeamAuth${Base.name}${ms}ms` });
  return DeadlineAgent;
}

function responseTimeout(ms: number): Error {
  const error = new Error(`the answer did not finish within ${ms} ms`) as Error & { code: string };
  error.code = RESPONSE_TIMEOUT_CODE;
  return error;
}

// postman-runtime reports the `timeout` bound as a plain Error with this
// message (lib/backpack timeback), and newman hands it on unchanged.
function isRunTimeout(err: Error): boolean {
  return err.message === 'callback timed out';
}

function runTimeout(ms: number): HarnessError {
  return new HarnessError(
    'ERR_RUN_TIMEOUT',
    `the run did not finish within ${ms} ms`,
    'check the server, or raise --timeout',
  );
}

function toExecution(raw: RawExecution & { retriedAfter?: string }, timeoutRequestMs: number): Execution {
  // A pm.test.skip proves nothing: left out, so that a request whose tests
  // are all skipped counts as a request without tests.
  const assertions = (raw.assertions ?? []).filter((a) => !a.skipped).map((a) => ({
    name: a.assertion,
    error: a.error ? (a.error.message ?? 'assertion failed') : null,
  }));

  return {
    folder: topFolderName(raw.item),
    itemName: raw.item.name,
    method: raw.request?.method ?? 'GET',
    url: raw.request?.url?.toString() ?? '',
    headers: raw.request?.headers?.all().map((h) => ({ key: h.key, value: String(h.value) })) ?? [],
    body: raw.request?.body?.toString() ?? '',
    status: raw.response ? raw.response.code : null,
    responseBody: raw.response?.stream ? raw.response.stream.toString('utf8') : '',
    contentType: raw.response?.headers?.get('content-type') ?? null,
    requestError: raw.requestError
      ? {
          code: raw.requestError.code,
          message: raw.requestError.message ?? String(raw.requestError),
          ...(TIMEOUT_CODES.has(raw.requestError.code ?? '') ? { timeoutMs: timeoutRequestMs } : {}),
        }
      : null,
    assertions,
    ...(raw.retriedAfter ? { retriedAfter: raw.retriedAfter } : {}),
  };
}

function topFolderName(item: RawItem): string {
  let node: RawItem = item;
  for (;;) {
    const parent = node.parent?.();
    // The collection itself has no parent: `node` is then a top-level entry.
    if (!parent || !parent.parent?.()) return node.name;
    node = parent;
  }
}
