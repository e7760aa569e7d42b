import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inflateSync } from 'node:zlib';

import { loadCollection } from '../../src/config/collection';
import type { MatrixOptions } from '../../src/matrix';
import { cli, COLLECTION_FILE, type CliResult } from '../support/harness';

/** Runs the CLI in this process with stderr as a terminal or not. */
export function cliWith(
  argv: string[],
  options: { cwd?: string; isTty?: boolean } = {},
): Promise<CliResult> {
  return cli(argv, options);
}

/** A fresh folder under the system's temporary folder. */
export function scratch(): { dir: string; file: (name: string) => string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'veeam-auth-regression-'));
  return {
    dir,
    file: (name) => path.join(dir, name),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export type XmlNode = {
  name: string;
  attributes: Record<string, string>;
  children: XmlNode[];
  text: string;
};

const NAME = /^[A-Za-z_][\w.-]*/;
const ENTITY = /^&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/;

/**
 * A strict parser for the XML subset a JUnit report uses: a declaration,
 * elements, attributes in quotes, text and the predefined or numeric
 * entities. It throws on anything not well formed, so a passing parse is
 * itself a well-formedness check.
 */
export function parseXml(text: string): XmlNode {
  let at = 0;
  const fail = (why: string): never => {
    throw new Error(`not well-formed XML at offset ${at}: ${why}`);
  };
  const skipSpace = () => {
    while (/\s/.test(text[at] ?? '')) at += 1;
  };
  const decode = (raw: string): string => {
    let out = '';
    for (let i = 0; i < raw.length; ) {
      if (raw[i] === '&') {
        const m = ENTITY.exec(raw.slice(i));
        if (!m) return fail(`bad entity near ${JSON.stringify(raw.slice(i, i + 8))}`);
        const e = m[1];
        out += e === 'amp' ? '&' : e === 'lt' ? '<' : e === 'gt' ? '>' : e === 'quot' ? '"' : e === 'apos' ? "'"
          : String.fromCodePoint(e.startsWith('#x') ? parseInt(e.slice(2), 16) : Number(e.slice(1)));
        i += m[0].length;
      } else if (raw[i] === '<') {
        return fail('raw < in text');
      } else {
        out += raw[i];
        i += 1;
      }
    }
    return out;
  };

  const declaration = /^<\?xml version="1\.0" encoding="UTF-8"\?>\n/.exec(text);
  if (!declaration) fail('no XML declaration with version 1.0 and UTF-8');
  at = declaration ? declaration[0].length : 0;

  const element = (): XmlNode => {
    if (text[at] !== '<') fail('expected <');
    at += 1;
    const name = NAME.exec(text.slice(at))?.[0] ?? fail('element name');
    at += name.length;
    const attributes: Record<string, string> = {};
    for (;;) {
      const before = at;
      skipSpace();
      if (text.startsWith('/>', at)) {
        at += 2;
        return { name, attributes, children: [], text: '' };
      }
      if (text[at] === '>') {
        at += 1;
        break;
      }
      if (at === before) fail('space before an attribute');
      const key = NAME.exec(text.slice(at))?.[0] ?? fail('attribute name');
      at += key.length;
      if (text[at] !== '=' || text[at + 1] !== '"') fail(`attribute ${key} is not ="..."`);
      const end = text.indexOf('"', at + 2);
      if (end < 0) fail('unterminated attribute');
      if (key in attributes) fail(`attribute ${key} twice`);
      attributes[key] = decode(text.slice(at + 2, end));
      at = end + 1;
    }

    const children: XmlNode[] = [];
    let content = '';
    for (;;) {
      if (at >= text.length) fail(`unclosed <${name}>`);
      if (text.startsWith('</', at)) {
        const close = `</${name}>`;
        if (!text.startsWith(close, at)) fail(`expected ${close}`);
        at += close.length;
        return { name, attributes, children, text: decode(content) };
      }
      if (text[at] === '<') {
        children.push(element());
      } else {
        const next = text.indexOf('<', at);
        content += text.slice(at, next < 0 ? text.length : next);
        at = next < 0 ? text.length : next;
      }
    }
  };

  const root = element();
  skipSpace();
  if (at !== text.length) fail('content after the root element');
  return root;
}

/**
 * The parts of the common JUnit schema (the Jenkins/Ant junit.xsd) a CI
 * dashboard relies on: the element tree, required attributes and their
 * types, and counts that agree with the testcases. Returns the problems.
 */
export function junitProblems(root: XmlNode): string[] {
  const problems: string[] = [];
  const isCount = (v: string | undefined) => v !== undefined && /^\d+$/.test(v);
  const isTime = (v: string | undefined) => v === undefined || /^\d+(\.\d+)?$/.test(v);
  const only = (node: XmlNode, allowed: string[], where: string) => {
    for (const child of node.children) {
      if (!allowed.includes(child.name)) problems.push(`${where}: <${child.name}> is not allowed here`);
    }
  };

  if (root.name !== 'testsuites') return [`root is <${root.name}>, not <testsuites>`];
  only(root, ['testsuite'], 'testsuites');
  const totals = { tests: 0, failures: 0, errors: 0, skipped: 0 };

  for (const suite of root.children.filter((c) => c.name === 'testsuite')) {
    const where = `testsuite ${suite.attributes.name ?? '(unnamed)'}`;
    for (const key of ['name', 'tests', 'failures', 'errors']) {
      if (!(key in suite.attributes)) problems.push(`${where}: no ${key}`);
    }
    for (const key of ['tests', 'failures', 'errors', 'skipped']) {
      if (key in suite.attributes && !isCount(suite.attributes[key])) problems.push(`${where}: ${key} is not a count`);
    }
    if (!isTime(suite.attributes.time)) problems.push(`${where}: time is not a decimal`);
    if (suite.attributes.timestamp !== undefined && !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/.test(suite.attributes.timestamp)) {
      problems.push(`${where}: timestamp is not an ISO 8601 date-time without a zone`);
    }
    only(suite, ['properties', 'testcase', 'system-out', 'system-err'], where);

    for (const properties of suite.children.filter((c) => c.name === 'properties')) {
      only(properties, ['property'], `${where} properties`);
      for (const property of properties.children) {
        if (!('name' in property.attributes) || !('value' in property.attributes)) problems.push(`${where}: a property lacks name or value`);
      }
    }

    const cases = suite.children.filter((c) => c.name === 'testcase');
    const count = (outcome: string) => cases.filter((t) => t.children.some((c) => c.name === outcome)).length;
    const counted = { tests: cases.length, failures: count('failure'), errors: count('error'), skipped: count('skipped') };
    for (const key of Object.keys(counted) as (keyof typeof counted)[]) {
      if (suite.attributes[key] !== undefined && Number(suite.attributes[key]) !== counted[key]) {
        problems.push(`${where}: ${key}="${suite.attributes[key]}" but ${counted[key]} counted`);
      }
      totals[key] += counted[key];
    }

    for (const testcase of cases) {
      const name = `${where} testcase ${testcase.attributes.name ?? '(unnamed)'}`;
      if (!testcase.attributes.name) problems.push(`${name}: no name`);
      if (!testcase.attributes.classname) problems.push(`${name}: no classname`);
      if (!isTime(testcase.attributes.time)) problems.push(`${name}: time is not a decimal`);
      only(testcase, ['failure', 'error', 'skipped', 'system-out', 'system-err'], name);
      const outcomes = testcase.children.filter((c) => ['failure', 'error', 'skipped'].includes(c.name));
      if (outcomes.length > 1) problems.push(`${name}: more than one of failure, error, skipped`);
      for (const outcome of outcomes.filter((o) => o.name !== 'skipped')) {
        if (!('type' in outcome.attributes)) problems.push(`${name}: <${outcome.name}> has no type`);
      }
    }
  }

  for (const key of Object.keys(totals) as (keyof typeof totals)[]) {
    if (root.attributes[key] !== undefined && Number(root.attributes[key]) !== totals[key]) {
      problems.push(`testsuites: ${key}="${root.attributes[key]}" but ${totals[key]} in its suites`);
    }
  }
  return problems;
}

/** Every element named `name` under `node`, depth first. */
export function findAll(node: XmlNode, name: string): XmlNode[] {
  return [...(node.name === name ? [node] : []), ...node.children.flatMap((c) => findAll(c, name))];
}

export type Image = { width: number; height: number; pixel: (x: number, y: number) => [number, number, number] };

/** Decodes an 8-bit RGB or RGBA PNG, as Chromium writes its screenshots. */
export function decodePng(png: Buffer): Image {
  if (!png.subarray(0, 8).equals(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]))) throw new Error('not a PNG');
  let width = 0;
  let height = 0;
  let channels = 0;
  const data: Buffer[] = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const body = png.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const [depth, color, , , interlace] = [body[8], body[9], body[10], body[11], body[12]];
      if (depth !== 8 || (color !== 2 && color !== 6) || interlace !== 0) {
        throw new Error(`unsupported PNG: depth ${depth}, color type ${color}, interlace ${interlace}`);
      }
      channels = color === 6 ? 4 : 3;
    } else if (type === 'IDAT') {
      data.push(body);
    }
    at += 12 + length;
  }

  const raw = inflateSync(Buffer.concat(data));
  const stride = width * channels;
  const pixels = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y += 1) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x += 1) {
      const value = raw[y * (stride + 1) + 1 + x];
      const a = x >= channels ? pixels[y * stride + x - channels] : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels] : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const predictor = [0, a, b, (a + b) >> 1, paeth][filter];
      if (predictor === undefined) throw new Error(`bad PNG filter ${filter}`);
      pixels[y * stride + x] = (value + predictor) & 0xff;
    }
  }
  return {
    width,
    height,
    pixel: (x, y) => {
      const i = y * stride + x * channels;
      return [pixels[i], pixels[i + 1], pixels[i + 2]];
    },
  };
}

/**
 * Options for a matrix against the server at `baseUrl`: the shipped
 * collection, an environment at `apiVersion`, and test-sized timeouts.
 */
export function matrixOptions(
  baseUrl: string,
  options: Omit<MatrixOptions, 'environment' | 'collection'> & Partial<Pick<MatrixOptions, 'collection'>>,
  apiVersion = '1.3-rev2',
): MatrixOptions {
  return {
    collection: loadCollection(COLLECTION_FILE),
    environment: {
      name: 'test',
      baseUrl,
      apiVersion,
      values: [
        { key: 'baseUrl', value: baseUrl },
        { key: 'apiVersion', value: apiVersion },
      ],
    },
    timeoutRequestMs: 5_000,
    timeoutRunMs: 20_000,
    ...options,
  };
}
