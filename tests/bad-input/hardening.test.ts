import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

import nock from 'nock';

import { loadCollection } from '../../src/config/collection';
import { runChecks } from '../../src/run-checks';
import { makeCertificates } from '../../src/simulator/certificates';
import { startSimulator } from '../../src/simulator/start';
import { setProcessEnv, tempDir } from '../support/fixtures';
import { cli, COLLECTION_FILE } from '../support/harness';

function environment(dir: string, values: { key: string; value: string }[]): string {
  const file = path.join(dir, 'env.json');
  writeFileSync(file, JSON.stringify({ name: 't', values }));
  return file;
}

/** Sets the four credential variables in this process; returns the undo. */
function withCredentials(mfaPassword: string): () => void {
  return setProcessEnv({
    VBR_SERVICE_ACCOUNT_USERNAME: 'svc',
    VBR_SERVICE_ACCOUNT_PASSWORD: 'ok-password',
    VBR_MFA_USERNAME: 'mfa',
    VBR_MFA_PASSWORD: mfaPassword,
  });
}

describe('inputs a report must not replace', () => {
  it('refuses --json naming the collection it runs, and leaves the collection as it was', async () => {
    const scratch = tempDir();
    const copy = path.join(scratch.dir, 'mine.postman_collection.json');
    writeFileSync(copy, readFileSync(COLLECTION_FILE));

    const result = await cli(['check', '--collection', copy, '--json', copy]);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: --json .* is the file given to --collection/);
    expect(readFileSync(copy, 'utf8')).toBe(readFileSync(COLLECTION_FILE, 'utf8'));
    scratch.remove();
  });

  it('refuses --json .env and leaves the credentials as they were', async () => {
    const scratch = tempDir();
    writeFileSync(path.join(scratch.dir, '.env'), 'VBR_MFA_PASSWORD=keep-me\n');

    const result = await cli(['check', '--json', '.env'], scratch.dir);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/is the file given to the \.env file/);
    expect(readFileSync(path.join(scratch.dir, '.env'), 'utf8')).toBe('VBR_MFA_PASSWORD=keep-me\n');
    scratch.remove();
  });
});

describe('environments that would mislead a run', () => {
  it.each([
    ['sets baseUrl twice', [
      { key: 'baseUrl', value: 'https://127.0.0.1:1' },
      { key: 'baseUrl', value: 'https://127.0.0.1:2' },
      { key: 'apiVersion', value: '1.3-rev2' },
    ], /sets baseUrl twice/],
    ['has a newline in apiVersion', [
      { key: 'baseUrl', value: 'https://127.0.0.1:1' },
      { key: 'apiVersion', value: '1.3-rev2\n' },
    ], /apiVersion "1\.3-rev2\\n" is not of the form/],
  ])('refuses one that %s with exit 3', async (_what, values, message) => {
    const scratch = tempDir();

    const result = await cli(['check', '--env', environment(scratch.dir, values)]);

    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(message);
    scratch.remove();
  });

  it('reads an environment saved with a byte-order mark', async () => {
    const scratch = tempDir();
    const file = path.join(scratch.dir, 'env.json');
    writeFileSync(file, `\ufeff${JSON.stringify({ name: 't', values: [{ key: 'baseUrl', value: '' }] })}`);

    const result = await cli(['check', '--env', file]);

    expect(result.stderr).toMatch(/does not set baseUrl/);
    scratch.remove();
  });
});

describe('credentials newman would change on the way', () => {
  it('refuses a password holding {{ with exit 3, naming the variable only', async () => {
    const scratch = tempDir();
    writeFileSync(path.join(scratch.dir, '.env.example'), readFileSync(path.join(__dirname, '..', '..', '.env.example')));
    const file = environment(scratch.dir, [
      { key: 'baseUrl', value: 'https://127.0.0.1:1' },
      { key: 'apiVersion', value: '1.3-rev2' },
    ]);
    const restore = withCredentials('Mfa{{apiVersion}}Pw');

    const result = await cli(['check', '--env', file], scratch.dir).finally(restore);

    expect(result.code).toBe(3);
    expect(result.stderr.split('\n')[0]).toBe(
      'error: VBR_MFA_PASSWORD holds "{{", which newman and Postman replace as a variable reference, so the value would not reach the server as it is',
    );
    scratch.remove();
  });
});

describe('a server that redirects', () => {
  it('is not followed: the credentials never reach the other origin and the run fails', async () => {
    const simulator = await startSimulator({ port: 0 });
    let bystanderRequests = 0;
    const bystander = http.createServer((_req, res) => {
      bystanderRequests += 1;
      res.end('{}');
    });
    await new Promise<void>((resolve) => bystander.listen(0, '127.0.0.1', resolve));
    const bystanderUrl = `http://127.0.0.1:${(bystander.address() as AddressInfo).port}`;
    const certificates = await makeCertificates();
    const caFile = path.join(simulator.dir, 'redirector-ca.pem');
    writeFileSync(caFile, certificates.caCert);
    const redirector = https.createServer({ key: certificates.key, cert: certificates.cert }, (req, res) => {
      res.writeHead(307, { location: `${bystanderUrl}${req.url}`, 'content-length': '0' });
      res.end();
    });
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    const baseUrl = `https://127.0.0.1:${(redirector.address() as AddressInfo).port}`;

    const verdict = await runChecks({
      collection: loadCollection(COLLECTION_FILE),
      environment: { name: 't', baseUrl, apiVersion: '1.3-rev2', values: [{ key: 'baseUrl', value: baseUrl }, { key: 'apiVersion', value: '1.3-rev2' }] },
      credentials: simulator.credentials,
      caFile,
      timeoutRequestMs: 2_000,
      timeoutRunMs: 10_000,
    }).finally(async () => {
      redirector.close();
      bystander.close();
      await simulator.close();
    });

    expect(bystanderRequests).toBe(0);
    expect(verdict.passed).toBe(false);
    expect(verdict.serverFault).toMatchObject({ kind: 'redirect', status: 307 });
  });
});

describe('what a server puts in its answers', () => {
  it('cannot redraw the verdict with control characters in an errorCode', async () => {
    const scratch = tempDir();
    writeFileSync(path.join(scratch.dir, '.env.example'), readFileSync(path.join(__dirname, '..', '..', '.env.example')));
    const file = environment(scratch.dir, [
      { key: 'baseUrl', value: 'https://vbr.test:9419' },
      { key: 'apiVersion', value: '1.3-rev2' },
    ]);
    const body = JSON.stringify({ errorCode: '\r\u001b[2K  PASS  all good', message: 'x' });
    const length = { 'content-length': String(Buffer.byteLength(body)) };
    nock('https://vbr.test:9419').persist().post(/.*/).reply(401, body, length).get(/.*/).reply(401, body, length);
    const restore = withCredentials('other-password');

    const result = await cli(['check', '--env', file], scratch.dir).finally(restore);

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('??[2K  PASS  all good');
    expect(result.stdout + result.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    scratch.remove();
  });
});
