import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { runMatrix, type Matrix } from '../../src/matrix';
import { overallOf } from '../../src/overall';
import { MASK, Redactor } from '../../src/redact';
import { renderHtml } from '../../src/reports/html';
import { writeReport } from '../../src/reports/write-report';
import { nockServer } from '../support/harness';
import { cliWith, matrixOptions, decodePng, scratch } from './support';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
// Jest lists skipped tests only when run alone: say it once, whatever the run.
if (!hasChromium) {
  process.stderr.write(`html report: the Chromium render tests skip: ${CHROMIUM} is not installed (.ci/run installs it)\n`);
}

const HOSTILE = `<script>document.title='owned'</script><img src=x onerror=alert(1)> & "q" 'a'`;

async function matrixOf(scenario: 'healthy' | 'mfa-bypass'): Promise<{ matrix: Matrix; password: string }> {
  const server = nockServer(scenario);
  const matrix = await runMatrix(
    matrixOptions(server.baseUrl, {
      credentials: server.credentials,
      target: server.baseUrl,
      plan: { kind: 'revisions', apiVersions: ['1.0-rev1', '1.3-rev2'] },
    }),
  );
  return { matrix, password: server.credentials.mfaPassword };
}

/** Loads `file` in headless Chromium and returns its DOM, or writes a screenshot. */
function chromium(file: string, mode: { dumpDom: true } | { screenshot: string }): Promise<string> {
  const profile = mkdtempSync(path.join(tmpdir(), 'veeam-auth-chromium-'));
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    `--user-data-dir=${profile}`,
    ...('dumpDom' in mode ? ['--dump-dom'] : [`--screenshot=${mode.screenshot}`, '--window-size=1280,800', '--hide-scrollbars']),
    pathToFileURL(file).href,
  ];
  return new Promise((resolve, reject) => {
    execFile(CHROMIUM, args, { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout) => {
      rmSync(profile, { recursive: true, force: true });
      if (error) reject(error);
      else resolve(stdout);
    });
  });
}

describe('renderHtml', () => {
  it('puts the verdict first, then the revisions, then what changed', async () => {
    const { matrix } = await matrixOf('healthy');

    const html = renderHtml({ matrix, overall: overallOf(matrix) });

    const order = ['id="verdict"', 'id="revisions"', 'id="changes"'].map((id) => html.indexOf(id));
    expect(order.every((at) => at > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(html).toContain('<p class="label">PASS</p>');
  });

  it('escapes every string it shows', async () => {
    const { matrix } = await matrixOf('mfa-bypass');
    matrix.rows[1].cells[2].reason = HOSTILE;

    const html = renderHtml({ matrix, overall: overallOf(matrix) });

    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;document.title=&#39;owned&#39;&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; &amp; &quot;q&quot;');
  });

  it('loads nothing from anywhere: no scripts, links or external resources', async () => {
    const { matrix } = await matrixOf('healthy');

    const html = renderHtml({ matrix, overall: overallOf(matrix) });

    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; style-src &#39;unsafe-inline&#39;">`);
    expect(html).not.toMatch(/<script|<link|<img|src=|href=|url\(|@import/i);
  });

  it('masks a secret that reached a reason once written', async () => {
    const { matrix, password } = await matrixOf('mfa-bypass');
    matrix.rows[1].cells[2].reason = `saw ${password}`;
    const redactor = new Redactor();
    redactor.add(password);
    const dir = scratch();

    writeReport(dir.file('r.html'), renderHtml({ matrix, overall: overallOf(matrix) }), redactor);

    const html = readFileSync(dir.file('r.html'), 'utf8');
    dir.remove();
    expect(html).not.toContain(password);
    expect(html).toContain(`saw ${MASK}`);
  });
});

describe('the HTML report in headless Chromium', () => {
  const dir = scratch();
  const why = hasChromium ? '' : ` (skipped: ${CHROMIUM} is missing; .ci/run installs Debian's chromium package)`;
  const inChromium = hasChromium ? it : it.skip;

  afterAll(() => dir.remove());

  inChromium(`shows a regression verdict at the top of the page${why}`, async () => {
    const baseline = dir.file('healthy.json');
    const page = dir.file('regression.html');
    await cliWith(['check', '--revisions', 'all', '--save-baseline', baseline]);
    const result = await cliWith(['check', '--scenario', 'mfa-bypass', '--compare', baseline, '--html', page]);

    const dom = await chromium(page, { dumpDom: true });
    const shot = dir.file('regression.png');
    await chromium(page, { screenshot: shot });

    const verdict = /<header id="verdict"[^>]*>([\s\S]*?)<\/header>/.exec(dom)?.[1] ?? '';
    expect(result.code).toBe(1);
    expect(verdict).toContain('<p class="label">REGRESSION</p>');
    expect(verdict).toContain('<h1>an MFA user now gets a token (200) with 1.1-rev0, and 7 more</h1>');
    // The banner's colour fills the top of the first screen: the verdict is
    // what a reader sees before scrolling.
    const image = decodePng(readFileSync(shot));
    expect(image.pixel(4, 4)).toEqual([0x82, 0x07, 0x1e]);
    expect(image.pixel(image.width - 5, 60)).toEqual([0x82, 0x07, 0x1e]);
  });

  inChromium(`shows a pass verdict and keeps hostile text inert${why}`, async () => {
    const { matrix } = await matrixOf('healthy');
    matrix.rows[1].cells[2].reason = HOSTILE;
    const page = dir.file('pass.html');
    writeReport(page, renderHtml({ matrix, overall: overallOf(matrix) }), new Redactor());

    const dom = await chromium(page, { dumpDom: true });
    const shot = dir.file('pass.png');
    await chromium(page, { screenshot: shot });

    expect(dom).toContain('<p class="label">PASS</p>');
    expect(dom).not.toMatch(/<script|<img/);
    expect(dom).toContain('<title>veeam-auth PASS: https://vbr.test:9419</title>');
    expect(decodePng(readFileSync(shot)).pixel(4, 4)).toEqual([0x1a, 0x7f, 0x37]);
  });
});
