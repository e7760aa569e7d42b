import nock from 'nock';

import { loadCollection } from '../../src/config/collection';
import { runChecks } from '../../src/run-checks';
import { classifyTransport } from '../../src/runner/transport';
import type { RunningSimulator } from '../../src/simulator/start';
import { COLLECTION_FILE } from '../support/harness';
import {
  closedPort,
  environmentFor,
  FAST,
  fastRunBoundMs,
  interceptWithError,
  interceptWithoutConnecting,
  runAgainstSimulator,
  simulatorWith,
  UNUSED_CREDENTIALS,
} from './fault-support';

function runAt(baseUrl: string, timeoutRequestMs: number = FAST.timeoutRequestMs) {
  return runChecks({
    collection: loadCollection(COLLECTION_FILE),
    environment: environmentFor(baseUrl),
    credentials: UNUSED_CREDENTIALS,
    timeoutRequestMs,
    timeoutRunMs: FAST.timeoutRunMs,
  });
}

describe('a run against a server it cannot reach', () => {
  // Held-back nock connections outlive the run that gave up on them.
  afterEach(() => {
    nock.abortPendingRequests();
  });

  it('reports a host name that does not resolve as a DNS failure naming the host', async () => {
    interceptWithError('https://vbr.test:9419', 'ENOTFOUND', 'getaddrinfo ENOTFOUND vbr.test');

    const verdict = await runAt('https://vbr.test:9419');

    expect(verdict.transport).toEqual({
      kind: 'dns',
      code: 'ENOTFOUND',
      summary: 'cannot resolve the host name vbr.test',
      hint: 'check the host name in baseUrl, and the DNS settings of this machine',
    });
    expect(verdict.checks.every((c) => c.outcome === 'transport-error')).toBe(true);
    expect(verdict.passed).toBe(false);
  });

  it('names no credential in anything it reports', async () => {
    interceptWithError('https://vbr.test:9419', 'ENOTFOUND', 'getaddrinfo ENOTFOUND vbr.test');

    const verdict = await runAt('https://vbr.test:9419');

    const text = JSON.stringify(verdict);
    expect(text).not.toContain(UNUSED_CREDENTIALS.serviceAccountPassword);
    expect(text).not.toContain(UNUSED_CREDENTIALS.mfaPassword);
  });

  it('reports a closed port as a refused connection naming host and port', async () => {
    const port = await closedPort();

    const verdict = await runAt(`https://127.0.0.1:${port}`);

    expect(verdict.transport).toMatchObject({
      kind: 'refused',
      code: 'ECONNREFUSED',
      summary: `127.0.0.1:${port} refused the connection`,
    });
    expect(verdict.checks[0].reason).toBe(`no response: 127.0.0.1:${port} refused the connection`);
  });

  it('ends a connection that never completes as a connect timeout within the request bound', async () => {
    interceptWithoutConnecting('https://vbr.test:9419', 5_000);
    const started = Date.now();

    const verdict = await runAt('https://vbr.test:9419');

    expect(Date.now() - started).toBeLessThan(fastRunBoundMs());
    expect(verdict.transport).toMatchObject({
      kind: 'timeout',
      code: 'ETIMEDOUT',
      summary: 'vbr.test:9419 did not accept a connection within 300 ms',
    });
  });
});

describe('a run against a loopback server that fails on the wire', () => {
  let simulator: RunningSimulator | undefined;

  afterEach(async () => {
    await simulator?.close();
    simulator = undefined;
  });

  it('ends a request the server takes and never answers as a timeout within the bound', async () => {
    simulator = await simulatorWith('stall');
    const started = Date.now();

    const verdict = await runAgainstSimulator(simulator, FAST);

    expect(Date.now() - started).toBeLessThan(fastRunBoundMs());
    expect(verdict.transport).toMatchObject({
      kind: 'timeout',
      code: 'ESOCKETTIMEDOUT',
      summary: `127.0.0.1:${simulator.port} accepted the connection but sent nothing within 300 ms`,
    });
  });

  it('ends an answer that drips slowly as a timeout within the bound, not a hang', async () => {
    simulator = await simulatorWith('drip');
    const started = Date.now();

    const verdict = await runAgainstSimulator(simulator, FAST);

    // Each answer would take over a minute at a byte per 100 ms. Under nock
    // the loopback sockets are nock's own, whose idle timer ends the drip
    // (ESOCKETTIMEDOUT); without nock the runner's answer deadline does
    // (ERR_RESPONSE_TIMEOUT, asserted through the built CLI in cli.test.ts).
    expect(Date.now() - started).toBeLessThan(fastRunBoundMs());
    expect(verdict.transport?.kind).toBe('timeout');
    expect(verdict.checks.every((c) => c.outcome === 'transport-error')).toBe(true);
  });

  it('reports an answer cut off mid-response as a connection reset', async () => {
    simulator = await simulatorWith('reset');

    const verdict = await runAgainstSimulator(simulator, FAST);

    expect(verdict.transport).toMatchObject({
      kind: 'reset',
      code: 'ECONNRESET',
      summary: `127.0.0.1:${simulator.port} reset the connection before the answer was complete`,
    });
    expect(verdict.checks.every((c) => c.outcome === 'transport-error')).toBe(true);
  });

  it('gives every check its own account of the fault, not only the first', async () => {
    simulator = await simulatorWith('reset');

    const verdict = await runAgainstSimulator(simulator, FAST);

    for (const check of verdict.checks) {
      expect(check.reason).toBe(
        `no response: 127.0.0.1:${simulator.port} reset the connection before the answer was complete`,
      );
    }
  });
});

describe('classifyTransport', () => {
  it.each([
    ['EAI_AGAIN', 'dns', 'cannot resolve the host name vbr.test'],
    ['EHOSTUNREACH', 'unreachable', 'vbr.test:9419 cannot be reached from this machine'],
    ['EPIPE', 'reset', 'vbr.test:9419 reset the connection before the answer was complete'],
    ['CERT_NOT_YET_VALID', 'tls-expired', 'the certificate of vbr.test:9419 is not valid yet'],
    ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'tls-untrusted', 'the certificate of vbr.test:9419 is not trusted (unknown issuer)'],
    ['EWHATEVER', 'other', 'the request to vbr.test:9419 failed'],
  ])('names %s as %s', (code, kind, summary) => {
    const fault = classifyTransport(code, 'vbr.test:9419');

    expect(fault).toMatchObject({ kind, code, summary });
    expect(fault.hint.length).toBeGreaterThan(0);
  });

  it('says "in time" when it does not know the bound', () => {
    const fault = classifyTransport('ESOCKETTIMEDOUT', 'vbr.test:9419');

    expect(fault.summary).toBe('vbr.test:9419 accepted the connection but sent nothing in time');
  });
});
