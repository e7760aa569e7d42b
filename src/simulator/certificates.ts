import selfsigned from 'selfsigned';

export type SimulatorCertificates = {
  caCert: string;
  cert: string;
  key: string;
};

/**
 * Which server certificate to make. `trusted` is signed by the CA made with
 * it; the others are the ways a real VBR certificate fails a client that
 * trusts only that CA.
 */
export type CertificateKind = 'trusted' | 'self-signed' | 'other-host' | 'expired';

const DAY_MS = 24 * 3600 * 1000;

/** The name an `other-host` certificate is for; no loopback name matches it. */
export const OTHER_HOST_NAME = 'vbr-other.test';

/**
 * Makes a throwaway CA and a server certificate, valid for the loopback names
 * unless `kind` says otherwise. New at each start, so no key is ever
 * committed.
 */
export async function makeCertificates(
  hostNames: readonly string[] = ['localhost'],
  ips: readonly string[] = ['127.0.0.1', '::1'],
  kind: CertificateKind = 'trusted',
): Promise<SimulatorCertificates> {
  const now = Date.now();
  const notBeforeDate = new Date(now - 60_000);
  const notAfterDate = new Date(now + 7 * DAY_MS);

  const ca = await selfsigned.generate(
    [{ name: 'commonName', value: 'veeam-auth-harness simulator CA' }],
    {
      keyType: 'ec',
      algorithm: 'sha256',
      notBeforeDate: kind === 'expired' ? new Date(now - 60 * DAY_MS) : notBeforeDate,
      notAfterDate,
      extensions: [
        { name: 'basicConstraints', cA: true, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      ],
    },
  );

  const names = kind === 'other-host' ? [OTHER_HOST_NAME] : hostNames;
  const addresses = kind === 'other-host' ? [] : ips;
  const server = await selfsigned.generate(
    [{ name: 'commonName', value: names[0] ?? 'localhost' }],
    {
      keyType: 'ec',
      algorithm: 'sha256',
      // An expired certificate was valid for a month and ran out yesterday.
      notBeforeDate: kind === 'expired' ? new Date(now - 31 * DAY_MS) : notBeforeDate,
      notAfterDate: kind === 'expired' ? new Date(now - DAY_MS) : notAfterDate,
      // VBR's default certificate signs itself; clients that trust only the
      // simulator's CA then refuse it, as they refuse a real one.
      ...(kind === 'self-signed' ? {} : { ca: { key: ca.private, cert: ca.cert } }),
      extensions: [
        { name: 'basicConstraints', cA: false, critical: true },
        { name: 'keyUsage', digitalSignature: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: [
            ...names.map((value) => ({ type: 2 as const, value })),
            ...addresses.map((ip) => ({ type: 7 as const, ip })),
          ],
        },
      ],
    },
  );

  return { caCert: ca.cert, cert: server.cert, key: server.private };
}
