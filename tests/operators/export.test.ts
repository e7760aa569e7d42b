import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import newman from 'newman';
import { Collection, Item, ItemGroup, VariableScope } from 'postman-collection';

import { loadCollection } from '../../src/config/collection';
import { exportForPostman, postmanExport } from '../../src/export';
import { startSimulator, type RunningSimulator } from '../../src/simulator/start';
import { COLLECTION_FILE, COLLECTIONS, runCli, scratch, type Scratch } from './support';

const COLLECTION_NAME = 'vbr-auth.postman_collection.json';
const ENVIRONMENT_NAME = 'vbr-auth.postman_environment.json';

function readJson(file: string): any {
  return JSON.parse(readFileSync(file, 'utf8'));
}

function exported(dir: string) {
  return {
    collection: readJson(path.join(dir, COLLECTION_NAME)),
    environment: readJson(path.join(dir, ENVIRONMENT_NAME)),
  };
}

describe('veeam-auth export', () => {
  let out: Scratch;

  beforeEach(() => {
    out = scratch();
  });

  afterEach(() => out.remove());

  it('writes the collection and an environment template, and says where', async () => {
    const result = await runCli(['export', out.dir]);

    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(
      [
        'exported VBR REST auth: MFA users refused, service accounts served v1.1.0 for Postman:',
        `  ${path.join(out.dir, COLLECTION_NAME)}`,
        `  ${path.join(out.dir, ENVIRONMENT_NAME)}`,
        'import both into Postman, then fill in the environment: baseUrl, apiVersion and the four secrets',
        '',
      ].join('\n'),
    );
  });

  it('writes a collection the Postman SDK reads with every id kept', async () => {
    await runCli(['export', out.dir]);
    const { collection: json } = exported(out.dir);

    const collection = new Collection(json);

    expect(Collection.isCollection(collection)).toBe(true);
    expect(collection.name).toBe(json.info.name);
    const ids: string[] = [];
    collection.forEachItemGroup((group: ItemGroup<Item>) => {
      ids.push(group.id);
    });
    collection.forEachItem((item: Item) => {
      ids.push(item.id);
      expect(item.request.url.getPath()).toMatch(/^\/api\//);
    });
    const jsonIds = JSON.stringify(json).match(/"id":"[^"]+"/g) ?? [];
    expect(ids).toHaveLength(json.item.length + 9);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(jsonIds).toContain(`"id":"${id}"`);
    // A round trip through the SDK changes no id: a re-import updates.
    expect(JSON.stringify(collection.toJSON())).toContain(json.item[0].id);
  });

  it('writes an environment the SDK reads, every secret typed secret and empty', async () => {
    await runCli(['export', out.dir]);
    const { environment } = exported(out.dir);

    const scope = new VariableScope(environment);

    expect(Object.keys(scope.toObject(false, false))).toHaveLength(6);
    expect(scope.get('apiVersion')).toBe('1.3-rev2');
    expect(environment.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
    const secrets = environment.values.filter((v: any) => v.type === 'secret');
    expect(secrets.map((v: any) => v.key)).toEqual([
      'serviceAccountUsername',
      'serviceAccountPassword',
      'mfaUsername',
      'mfaPassword',
    ]);
    for (const v of secrets) expect(v.value).toBe('');
    expect(environment.values.find((v: any) => v.key === 'baseUrl')).toMatchObject({ value: '', type: 'default' });
    for (const v of environment.values) expect(v.description.length).toBeGreaterThan(40);
  });

  it('defines every variable the collection uses and does not set itself', async () => {
    await runCli(['export', out.dir]);
    const { collection, environment } = exported(out.dir);

    const text = JSON.stringify(collection);
    const used = new Set([...text.matchAll(/\{\{([^{}]+)\}\}/g)].map((m) => m[1]));
    const set = new Set([...text.matchAll(/collectionVariables\.set\('([^']+)'/g)].map((m) => m[1]));
    const defined = new Set([
      ...environment.values.map((v: any) => v.key),
      ...collection.variable.map((v: any) => v.key),
    ]);

    expect([...used].filter((name) => !set.has(name) && !defined.has(name))).toEqual([]);
  });

  it('describes every folder and request, and no value holds a token', async () => {
    await runCli(['export', out.dir]);
    const { collection, environment } = exported(out.dir);

    for (const folder of collection.item) {
      expect(folder.description.length).toBeGreaterThan(80);
      for (const request of folder.item) expect(request.request.description).toMatch(/Expect|Evidence only/);
    }
    for (const key of ['baseUrl', 'apiVersion', 'serviceAccountUsername', 'serviceAccountPassword', 'mfaUsername', 'mfaPassword']) {
      expect(collection.info.description).toContain(`\`${key}\``);
    }
    const both = JSON.stringify([collection, environment]);
    expect(both).not.toMatch(/eyJ[\w-]{8,}\./);
    expect(both).not.toMatch(/"key":\s*"(accessToken|refreshToken)"/);
  });

  it('writes the same bytes on every export', async () => {
    const again = scratch();

    await runCli(['export', out.dir]);
    await runCli(['export', again.dir]);

    for (const name of [COLLECTION_NAME, ENVIRONMENT_NAME]) {
      expect(readFileSync(path.join(again.dir, name), 'utf8')).toBe(readFileSync(path.join(out.dir, name), 'utf8'));
    }
    again.remove();
  });

  it('refuses to overwrite an existing file and writes nothing, exit 3', async () => {
    writeFileSync(path.join(out.dir, ENVIRONMENT_NAME), 'mine\n');

    const result = await runCli(['export', out.dir]);

    expect(result.code).toBe(3);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `error: export refused: ${out.dir} already holds ${ENVIRONMENT_NAME}\n` +
        '  nothing was written\n' +
        '  hint: pass --force to overwrite them, or export into an empty folder\n',
    );
    expect(existsSync(path.join(out.dir, COLLECTION_NAME))).toBe(false);
    expect(readFileSync(path.join(out.dir, ENVIRONMENT_NAME), 'utf8')).toBe('mine\n');
  });

  it('overwrites existing files with --force', async () => {
    writeFileSync(path.join(out.dir, ENVIRONMENT_NAME), 'mine\n');

    const result = await runCli(['export', out.dir, '--force']);

    expect(result.code).toBe(0);
    expect(exported(out.dir).environment.values).toHaveLength(6);
  });

  it('refuses a path that is a file', async () => {
    const file = path.join(out.dir, 'plain');
    writeFileSync(file, '');

    const result = await runCli(['export', file]);

    expect(result.code).toBe(3);
    expect(result.stderr).toBe(`error: cannot export to ${file}: it is a file, not a folder\n  hint: give a folder to export into\n`);
  });

  it('exports an archived version under its own name, with stable folder ids', async () => {
    const archive = path.join(COLLECTIONS, 'archive', 'vbr-auth@1.0.0.postman_collection.json');

    const first = postmanExport(loadCollection(archive));
    const second = postmanExport(loadCollection(archive));

    expect(first.collectionFileName).toBe('vbr-auth@1.0.0.postman_collection.json');
    expect(first.environmentFileName).toBe('vbr-auth@1.0.0.postman_environment.json');
    expect((first.collection.info as any).version).toBe('1.0.0');
    for (const folder of first.collection.item as any[]) expect(folder.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.stringify(first)).toBe(JSON.stringify(second));
  });

  it('leaves out saved responses and secret collection variables', () => {
    const collection = loadCollection(COLLECTION_FILE);
    const json = structuredClone(collection.json) as any;
    json.item[0].item[0].response = [{ name: 'saved', body: '{"expires_in":900}' }];
    json.variable.push({ key: 'accessToken', value: 'captured-value' });

    const result = postmanExport({ ...collection, json });

    const text = JSON.stringify(result.collection);
    expect(text).not.toContain('captured-value');
    expect(text).not.toContain('"response"');
  });

  it('refuses a collection that holds what looks like a token', () => {
    const collection = loadCollection(COLLECTION_FILE);
    const json = structuredClone(collection.json) as any;
    json.item[1].description = 'Bearer eyJhbGciOiJSUzUxMiJ9.eyJ1bmlxdWVfbmFtZSI6InN2YyJ9.c2lnbmF0dXJlLWJ5dGVz';

    const attempt = () => exportForPostman({ dir: out.dir, collection: { ...collection, json } });

    expect(attempt).toThrow(`collection ${COLLECTION_FILE} holds what looks like a captured token`);
    expect(existsSync(path.join(out.dir, COLLECTION_NAME))).toBe(false);
  });
});

describe('the exported files', () => {
  let out: Scratch;
  let simulator: RunningSimulator;

  beforeAll(async () => {
    out = scratch();
    simulator = await startSimulator({ port: 0 });
  });

  afterAll(async () => {
    await simulator.close();
    out.remove();
  });

  it('run green with newman against a loopback simulator once the template is filled in', async () => {
    await runCli(['export', out.dir]);
    const { credentials } = simulator;

    const summary = await new Promise<newman.NewmanRunSummary>((resolve, reject) => {
      newman.run(
        {
          collection: path.join(out.dir, COLLECTION_NAME),
          environment: path.join(out.dir, ENVIRONMENT_NAME),
          envVar: [
            { key: 'baseUrl', value: simulator.baseUrl },
            ...Object.entries(credentials).map(([key, value]) => ({ key, value })),
          ],
          sslExtraCaCerts: simulator.caFile,
          reporters: [],
        } as newman.NewmanRunOptions,
        (err, result) => (err ? reject(err) : resolve(result)),
      );
    });

    expect(summary.run.failures).toEqual([]);
    expect(summary.run.stats.requests).toMatchObject({ total: 9, failed: 0 });
    expect(summary.run.stats.assertions.failed).toBe(0);
    const names = summary.run.executions.map((e) => e.item.name);
    expect(names).toContain('Users list (evidence)');
    expect(names).toContain('MFA settings (evidence)');
  });
});
