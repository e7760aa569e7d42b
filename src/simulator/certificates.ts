import selfsigned from 'selfsigned';

export type SimulatorCertificates = {
  caCert: string;
  cert: string;
  key: string;
};

/**
 * Makes a throwaway CA and a server certificate it signs, valid for the
 * loopback names. New at each start, so no key is ever committed.
 */
export async function makeCertificates(
  hostNames: readonly string[] = ['localhost'],
  ips: readonly string[] = ['127.0.0.1', '::1'],
): Promise<SimulatorCertificates> {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(Date.now() + 7 * 24 * 3600 * 1000);

  const ca = await selfsigned.generate(
    [{ name: 'commonName', value: 'veeam-auth-harness simulator CA' }],
    {
      keyType: 'ec',
      algorithm: 'sha256',
      notBeforeDate,
      notAfterDate,
      extensions: [
        { name: 'basicConstraints', cA: true, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      ],
    },
  );

  const server = await selfsigned.generate(
    [{ name: 'commonName', value: hostNames[0] ?? 'localhost' }],
    {
      keyType: 'ec',
      algorithm: 'sha256',
      notBeforeDate,
      notAfterDate,
      ca: { key: ca.private, cert: ca.cert },
      extensions: [
        { name: 'basicConstraints', cA: false, critical: true },
        { name: 'keyUsage', digitalSignature: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: [
            ...hostNames.map((value) => ({ type: 2 as const, value })),
            ...ips.map((ip) => ({ type: 7 as const, ip })),
          ],
        },
      ],
    },
  );

  return { caCert: ca.cert, cert: server.cert, key: server.private };
}
