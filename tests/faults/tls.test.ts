import { X509Certificate } from 'node:crypto';

import { makeCertificates, OTHER_HOST_NAME } from '../../src/simulator/certificates';
import type { RunningSimulator } from '../../src/simulator/start';
import { FAST, runAgainstSimulator, simulatorWith } from './fault-support';

const TLS_HINT =
  "export the VBR server's certificate as Base-64 X.509 (PEM) and pass it with --ca-cert <file>";

describe('a run against a loopback server whose certificate fails', () => {
  let simulator: RunningSimulator | undefined;

  afterEach(async () => {
    await simulator?.close();
    simulator = undefined;
  });

  it('reports a self-signed certificate as not trusted, with the --ca-cert hint', async () => {
    simulator = await simulatorWith('tls-untrusted');

    const verdict = await runAgainstSimulator(simulator, FAST);

    expect(verdict.transport).toEqual({
      kind: 'tls-untrusted',
      code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
      summary: `the certificate of 127.0.0.1:${simulator.port} is not trusted (self-signed)`,
      hint: TLS_HINT,
    });
    expect(verdict.checks.every((c) => c.outcome === 'transport-error')).toBe(true);
  });

  it('passes once the exported server certificate is given as the CA, as the hint says', async () => {
    simulator = await simulatorWith('tls-untrusted');

    const verdict = await runAgainstSimulator(simulator, { caFile: simulator.certFile });

    expect(verdict.transport).toBeNull();
    expect(verdict.passed).toBe(true);
  });

  it('reports a certificate from a CA it was not given as not trusted', async () => {
    simulator = await simulatorWith(undefined);

    const verdict = await runAgainstSimulator(simulator, { ...FAST, caFile: undefined });

    expect(verdict.transport).toMatchObject({
      kind: 'tls-untrusted',
      code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      summary: `the certificate of 127.0.0.1:${simulator.port} is not trusted (unknown issuer)`,
    });
  });

  it('reports a certificate for another host name as such', async () => {
    simulator = await simulatorWith('tls-hostname');

    const verdict = await runAgainstSimulator(simulator, FAST);

    expect(verdict.transport).toMatchObject({
      kind: 'tls-hostname',
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
      summary: `the certificate of 127.0.0.1:${simulator.port} is for another host name`,
    });
  });

  it('reports an expired certificate as expired, not as untrusted', async () => {
    simulator = await simulatorWith('tls-expired');

    const verdict = await runAgainstSimulator(simulator, FAST);

    expect(verdict.transport).toMatchObject({
      kind: 'tls-expired',
      code: 'CERT_HAS_EXPIRED',
      summary: `the certificate of 127.0.0.1:${simulator.port} has expired`,
    });
  });
});

describe('makeCertificates', () => {
  it('makes an expired certificate that ran out before now, from a CA still valid', async () => {
    const { caCert, cert } = await makeCertificates(undefined, undefined, 'expired');

    const server = new X509Certificate(cert);
    const ca = new X509Certificate(caCert);
    expect(new Date(server.validTo).getTime()).toBeLessThan(Date.now());
    expect(new Date(ca.validTo).getTime()).toBeGreaterThan(Date.now());
    expect(server.checkIssued(ca)).toBe(true);
  });

  it('makes an other-host certificate that names no loopback name or address', async () => {
    const { cert } = await makeCertificates(undefined, undefined, 'other-host');

    const server = new X509Certificate(cert);
    expect(server.subjectAltName).toBe(`DNS:${OTHER_HOST_NAME}`);
    expect(server.checkHost('localhost')).toBeUndefined();
    expect(server.checkIP('127.0.0.1')).toBeUndefined();
  });

  it('makes a self-signed certificate that the CA made with it did not sign', async () => {
    const { caCert, cert } = await makeCertificates(undefined, undefined, 'self-signed');

    const server = new X509Certificate(cert);
    expect(server.checkIssued(new X509Certificate(caCert))).toBe(false);
    expect(server.issuer).toBe(server.subject);
    expect(server.verify(server.publicKey)).toBe(true);
  });
});
