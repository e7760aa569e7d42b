import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import dotenv from 'dotenv';

import { CREDENTIAL_VARIABLES } from '../../src/config/credentials';
import { ROOT } from '../support/harness';

type Variable = { key?: unknown; value?: unknown; type?: unknown };
type Node = Record<string, unknown>;

/** The Postman variables that hold credentials, named as the collection uses them. */
const CREDENTIAL_KEYS = Object.keys(CREDENTIAL_VARIABLES);
const SECRETISH_KEY = /password|passwd|secret|token|username|apikey|api_key/i;
const JWT = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{4,}/;
const LITERAL_CREDENTIAL = /\b(?:Bearer|Basic)\s+(?!\{\{)[A-Za-z0-9._~+/=-]{8,}/i;
const REFERENCE = /^\{\{[^{}]+\}\}$/;

function jsonFiles(folder: string): { file: string; text: string; json: Node }[] {
  const dir = path.join(ROOT, folder);
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .map((name) => {
      const file = path.join(dir, name);
      const text = readFileSync(file, 'utf8');
      return { file: path.relative(ROOT, file), text, json: JSON.parse(text) as Node };
    });
}

const collections = jsonFiles('collections');
const environments = jsonFiles('environments');

/** Every object in a JSON tree, with the path that leads to it. */
function objectsIn(node: unknown, at = '$'): { at: string; node: Node }[] {
  if (Array.isArray(node)) return node.flatMap((child, i) => objectsIn(child, `${at}[${i}]`));
  if (node === null || typeof node !== 'object') return [];
  const record = node as Node;
  return [
    { at, node: record },
    ...Object.entries(record).flatMap(([key, child]) => objectsIn(child, `${at}.${key}`)),
  ];
}

const isEmpty = (value: unknown) => value === undefined || value === null || value === '';

describe('the committed collections and environments', () => {
  it('exist to be linted', () => {
    const names = [...collections, ...environments].map((f) => f.file);

    expect(collections.length).toBeGreaterThan(0);
    expect(environments.length).toBeGreaterThan(0);
    expect(names).toContain(path.join('collections', 'vbr-auth.postman_collection.json'));
  });

  it('hold no token-looking string and no literal Bearer or Basic credential', () => {
    const files = [...collections, ...environments];

    const offenders = files.filter((f) => JWT.test(f.text) || LITERAL_CREDENTIAL.test(f.text)).map((f) => f.file);

    expect(offenders).toEqual([]);
  });

  it('type every credential variable of an environment secret, and leave every secret empty', () => {
    const problems: string[] = [];

    for (const { file, json } of environments) {
      const values = (json.values ?? []) as Variable[];
      const keys = values.map((v) => String(v.key));
      for (const key of CREDENTIAL_KEYS) {
        if (!keys.includes(key)) problems.push(`${file}: no ${key}`);
      }
      for (const v of values) {
        const key = String(v.key);
        if (SECRETISH_KEY.test(key) && v.type !== 'secret') problems.push(`${file}: ${key} is not typed secret`);
        if ((v.type === 'secret' || SECRETISH_KEY.test(key)) && !isEmpty(v.value)) problems.push(`${file}: ${key} has a value`);
      }
    }

    expect(problems).toEqual([]);
  });

  it('give no value to a credential variable of a collection', () => {
    const problems: string[] = [];

    for (const { file, json } of collections) {
      for (const { at, node } of objectsIn(json)) {
        const variables = (Array.isArray(node.variable) ? node.variable : []) as Variable[];
        for (const v of variables) {
          const key = String(v.key);
          if ((SECRETISH_KEY.test(key) || v.type === 'secret') && !isEmpty(v.value)) {
            problems.push(`${file} ${at}.variable ${key} has a value`);
          }
        }
      }
    }

    expect(problems).toEqual([]);
  });

  it('send credentials only as {{variable}} references, in bodies, headers and auth blocks', () => {
    const problems: string[] = [];

    for (const { file, json } of collections) {
      for (const { at, node } of objectsIn(json)) {
        const key = typeof node.key === 'string' ? node.key : '';
        const value = node.value;
        // Body fields (urlencoded, formdata) and headers are { key, value }.
        if (/^(?:username|password|refresh_token|client_secret)$/i.test(key) && typeof value === 'string') {
          if (!REFERENCE.test(value)) problems.push(`${file} ${at}: ${key} is not a {{variable}}`);
        }
        if (/^authorization$/i.test(key) && typeof value === 'string') {
          if (!/^(?:Bearer|Basic) \{\{[^{}]+\}\}$/.test(value)) problems.push(`${file} ${at}: Authorization is not a {{variable}}`);
        }
        // Postman auth blocks: { type, basic|bearer|apikey|oauth2: [{ key, value }] }.
        if (typeof node.type === 'string' && Array.isArray(node[node.type])) {
          for (const entry of node[node.type] as Variable[]) {
            if (typeof entry.value === 'string' && entry.value !== '' && SECRETISH_KEY.test(String(entry.key)) && !REFERENCE.test(entry.value)) {
              problems.push(`${file} ${at}: auth ${String(entry.key)} is not a {{variable}}`);
            }
          }
        }
        if (typeof node.raw === 'string' && /password=|"password"\s*:/i.test(node.raw) && !/password(?:=|"\s*:\s*")\{\{/i.test(node.raw)) {
          problems.push(`${file} ${at}: a raw body holds a literal password`);
        }
      }
    }

    expect(problems).toEqual([]);
  });

  it('never print a variable from a script, where a reporter would show it', () => {
    const problems: string[] = [];

    for (const { file, json } of collections) {
      for (const { at, node } of objectsIn(json)) {
        const exec = Array.isArray(node.exec) ? (node.exec as string[]) : [];
        exec.forEach((line, i) => {
          if (/\bconsole\.\w+\s*\(/.test(line)) problems.push(`${file} ${at}.exec[${i}]: ${line.trim()}`);
        });
      }
    }

    expect(problems).toEqual([]);
  });
});

describe('the committed credential templates', () => {
  it('leave every name in .env.example empty and keep .env out of git', () => {
    const example = dotenv.parse(readFileSync(path.join(ROOT, '.env.example')));
    const ignored = readFileSync(path.join(ROOT, '.gitignore'), 'utf8').split(/\r?\n/).map((l) => l.trim());

    const filled = Object.entries(example).filter(([, value]) => value !== '').map(([name]) => name);

    expect(Object.keys(example).sort()).toEqual(Object.values(CREDENTIAL_VARIABLES).sort());
    expect(filled).toEqual([]);
    expect(ignored).toContain('.env');
  });
});
