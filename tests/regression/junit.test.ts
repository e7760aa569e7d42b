import { readFileSync } from 'node:fs';

import { CHECK_IDS } from '../../src/checks';
import { runMatrix, type Matrix, type Plan } from '../../src/matrix';
import { MASK, Redactor } from '../../src/redact';
import { renderJunit } from '../../src/reports/junit';
import { writeReport } from '../../src/reports/write-report';
import { escapeXmlAttribute, escapeXmlText, renderXml } from '../../src/reports/xml';
import { closedPort } from '../support/fixtures';
import { nockServer } from '../support/harness';
import { cliWith, matrixOptions, findAll, junitProblems, parseXml, scratch } from './support';

const ALL: Plan = { kind: 'revisions', apiVersions: ['1.0-rev1', '1.2-rev1', '1.3-rev2'] };

function matrixAt(baseUrl: string, credentials: ReturnType<typeof nockServer>['credentials'], plan: Plan = ALL): Promise<Matrix> {
  return runMatrix(
    matrixOptions(baseUrl, {
      credentials,
      target: baseUrl,
      plan,
    }),
  );
}

describe('escapeXmlText and escapeXmlAttribute', () => {
  it('escape markup, quotes and whitespace that attributes would fold', () => {
    const value = `a<b>&"c"'d'\te\nf\rg`;

    const text = escapeXmlText(value);
    const attribute = escapeXmlAttribute(value);

    expect(text).toBe(`a&lt;b&gt;&amp;"c"'d'\te\nf\rg`);
    expect(attribute).toBe('a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;&#9;e&#10;f&#13;g');
  });

  it('replace characters XML 1.0 forbids, lone surrogates included', () => {
    const value = `nul\u0000 esc\u001b lone\ud800 ffff\uffff ok\u{1f600}`;

    const text = escapeXmlText(value);

    expect(text).toBe('nul\ufffd esc\ufffd lone\ufffd ffff\ufffd ok\u{1f600}');
  });

  it('round-trip through a strict parser unchanged', () => {
    const value = `<script>alert("x")</script> & 'quotes'\ttab\nline`;

    const xml = renderXml({ name: 'r', attributes: { v: value }, children: [value] });

    const root = parseXml(xml);
    expect(root.attributes.v).toBe(value);
    expect(root.text).toBe(value);
  });
});

describe('renderJunit', () => {
  it('writes one testcase per check per revision, named by revision and check id', async () => {
    const server = nockServer('healthy');
    const matrix = await matrixAt(server.baseUrl, server.credentials);

    const root = parseXml(renderJunit([matrix]));

    const cases = findAll(root, 'testcase').filter((t) => t.attributes.classname !== 'veeam-auth.matrix');
    expect(cases.map((t) => `${t.attributes.classname} ${t.attributes.name}`)).toEqual(
      ['1.0-rev1', '1.2-rev1', '1.3-rev2'].flatMap((v) => CHECK_IDS.map((id) => `veeam-auth.${v} ${id}`)),
    );
  });

  it('satisfies the JUnit schema, its counts agreeing with its testcases', async () => {
    const server = nockServer('mfa-bypass');
    const matrix = await matrixAt(server.baseUrl, server.credentials);

    const root = parseXml(renderJunit([matrix]));

    expect(junitProblems(root)).toEqual([]);
    // 1.0-rev1 refused: 6 skipped; 1.2-rev1: the 3 once-per-matrix checks.
    expect(root.attributes).toMatchObject({ tests: '19', failures: '2', errors: '0', skipped: '9' });
  });

  it('marks a refused revision and a once-per-matrix check skipped, saying why', async () => {
    const server = nockServer('healthy');
    const matrix = await matrixAt(server.baseUrl, server.credentials);

    const root = parseXml(renderJunit([matrix]));

    const skipped = (classname: string, name: string) =>
      findAll(root, 'testcase').find((t) => t.attributes.classname === classname && t.attributes.name === name)?.children[0];
    expect(skipped('veeam-auth.1.0-rev1', 'mfa-user-refused')?.attributes.message).toBe('the server does not serve x-api-version 1.0-rev1 (400)');
    expect(skipped('veeam-auth.1.2-rev1', 'wrong-password-refused')?.attributes.message).toBe('runs once per matrix, with 1.3-rev2');
    expect(skipped('veeam-auth.1.3-rev2', 'wrong-password-refused')).toBeUndefined();
  });

  it('turns a request that got no response into an error in its own testcase', async () => {
    const port = await closedPort();
    const matrix = await matrixAt(`https://127.0.0.1:${port}`, nockServer().credentials, { kind: 'revisions', apiVersions: ['1.3-rev2'] });

    const root = parseXml(renderJunit([matrix]));

    const suite = findAll(root, 'testsuite')[0];
    const errors = findAll(suite, 'error');
    expect(junitProblems(root)).toEqual([]);
    expect(suite.attributes).toMatchObject({ tests: '6', errors: '6' });
    expect(errors.every((e) => e.attributes.type === 'request-error')).toBe(true);
    expect(errors[0].attributes.message).toBe(`no response: 127.0.0.1:${port} refused the connection`);
  });

  it('fails the matrix testcase when nothing was served', async () => {
    const server = nockServer('healthy');
    const matrix = await matrixAt(server.baseUrl, server.credentials, { kind: 'revisions', apiVersions: ['1.0-rev1'] });

    const root = parseXml(renderJunit([matrix]));

    const failure = findAll(root, 'testcase').find((t) => t.attributes.classname === 'veeam-auth.matrix')?.children[0];
    expect(failure?.name).toBe('failure');
    expect(failure?.attributes.message).toBe('the server refused every revision asked for, so nothing was proven');
  });

  it('holds one testsuite per server and revision when given several servers', async () => {
    const a = nockServer('healthy', { baseUrl: 'https://vbr-a.test:9419' });
    const b = nockServer('healthy', { baseUrl: 'https://vbr-b.test:9419' });
    const plan: Plan = { kind: 'revisions', apiVersions: ['1.3-rev2'] };
    const matrices = [await matrixAt(a.baseUrl, a.credentials, plan), await matrixAt(b.baseUrl, b.credentials, plan)];

    const root = parseXml(renderJunit(matrices));

    expect(findAll(root, 'testsuite').map((s) => s.attributes.name)).toEqual([
      'veeam-auth.1.3-rev2 on https://vbr-a.test:9419',
      'veeam-auth.matrix on https://vbr-a.test:9419',
      'veeam-auth.1.3-rev2 on https://vbr-b.test:9419',
      'veeam-auth.matrix on https://vbr-b.test:9419',
    ]);
    expect(junitProblems(root)).toEqual([]);
  });

  it('stays valid XML and masks a secret that reached a reason once redacted', async () => {
    const server = nockServer('mfa-bypass');
    const matrix = await matrixAt(server.baseUrl, server.credentials);
    const password = server.credentials.mfaPassword;
    matrix.rows[1].cells[2].reason = `saw ${password} in <body> & "quotes"`;
    const redactor = new Redactor();
    redactor.add(password);
    const dir = scratch();

    writeReport(dir.file('junit.xml'), renderJunit([matrix]), redactor);

    const text = readFileSync(dir.file('junit.xml'), 'utf8');
    dir.remove();
    const failure = findAll(parseXml(text), 'failure').find((f) => f.attributes.message.startsWith('saw '));
    expect(text).not.toContain(password);
    expect(failure?.attributes.message).toBe(`saw ${MASK} in <body> & "quotes"`);
  });
});

describe('veeam-auth check --junit', () => {
  it('writes a valid report for a matrix against the simulator', async () => {
    const dir = scratch();

    const result = await cliWith(['check', '--revisions', 'all', '--junit', dir.file('junit.xml')]);

    const root = parseXml(readFileSync(dir.file('junit.xml'), 'utf8'));
    dir.remove();
    expect(result.code).toBe(0);
    expect(junitProblems(root)).toEqual([]);
    expect(root.attributes).toMatchObject({ tests: '61', failures: '0', errors: '0' });
  });

  it('writes one suite for a plain run, named by the environment\'s revision', async () => {
    const dir = scratch();

    const result = await cliWith(['check', '--junit', dir.file('junit.xml')]);

    const root = parseXml(readFileSync(dir.file('junit.xml'), 'utf8'));
    dir.remove();
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('6 passed, 0 failed\n');
    expect(findAll(root, 'testsuite').map((s) => s.attributes.name)).toEqual(['veeam-auth.1.3-rev2 on simulator']);
    expect(junitProblems(root)).toEqual([]);
  });
});
