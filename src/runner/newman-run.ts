import newman from 'newman';

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
  requestError: { code?: string; message: string } | null;
  assertions: { name: string; error: string | null }[];
};

export type NewmanOptions = {
  collection: object;
  environment: { name: string; values: { key: string; value: string; type?: string }[] };
  caFile?: string;
  isInsecure?: boolean;
  timeoutRequestMs: number;
  timeoutRunMs: number;
};

type RawItem = {
  name: string;
  parent?: () => RawItem | undefined;
};

type RawExecution = {
  item: RawItem;
  request?: {
    method?: string;
    url?: { toString(): string };
    headers?: { all(): { key: string; value: string }[] };
    body?: { toString(): string };
  };
  response?: { code: number; stream?: Buffer };
  requestError?: { code?: string; message?: string };
  assertions?: { assertion: string; error?: { message?: string } }[];
};

/** Runs a collection through newman's Node API and returns what each request did. */
export function runNewman(options: NewmanOptions): Promise<Execution[]> {
  return new Promise((resolve, reject) => {
    const run: newman.NewmanRunOptions = {
      collection: options.collection as newman.NewmanRunOptions['collection'],
      environment: options.environment as unknown as newman.NewmanRunOptions['environment'],
      reporters: [],
      timeout: options.timeoutRunMs,
      timeoutRequest: options.timeoutRequestMs,
      timeoutScript: options.timeoutRequestMs,
    };
    // `insecure: false` spelled out breaks every HTTPS request under nock
    // (SSL Error: undefined), so the key is set only when asked for.
    if (options.isInsecure) run.insecure = true;
    if (options.caFile) {
      (run as { sslExtraCaCerts?: string }).sslExtraCaCerts = options.caFile;
    }

    newman.run(run, (err, summary) => {
      if (err) {
        reject(err);
        return;
      }
      const executions = summary.run.executions as unknown as RawExecution[];
      resolve(executions.map(toExecution));
    });
  });
}

function toExecution(raw: RawExecution): Execution {
  const assertions = (raw.assertions ?? []).map((a) => ({
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
    requestError: raw.requestError
      ? { code: raw.requestError.code, message: raw.requestError.message ?? String(raw.requestError) }
      : null,
    assertions,
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
