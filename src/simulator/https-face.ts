import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { makeCertificates } from './certificates';
import type { VbrModel } from './model';

export type SimulatorServer = {
  baseUrl: string;
  port: number;
  /** PEM file of the CA that signed the server's certificate. */
  caFile: string;
  /** Folder the server writes its CA and environment into; gone on close. */
  dir: string;
  close(): Promise<void>;
};

export type ServeOptions = {
  port?: number;
  host?: '127.0.0.1' | '::1';
};

/**
 * Serves `model` over HTTPS on loopback, with a certificate from a CA made at
 * start. Clients trust that CA through `caFile`; nothing switches
 * verification off.
 */
export async function serveSimulator(
  model: VbrModel,
  options: ServeOptions = {},
): Promise<SimulatorServer> {
  const host = options.host ?? '127.0.0.1';
  const certificates = await makeCertificates();
  const dir = mkdtempSync(path.join(tmpdir(), 'veeam-auth-sim-'));
  const caFile = path.join(dir, 'ca.pem');
  writeFileSync(caFile, certificates.caCert, { mode: 0o600 });

  const server = https.createServer(
    { key: certificates.key, cert: certificates.cert },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const response = model.handle({
          method: req.method ?? 'GET',
          path: req.url ?? '/',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        res.writeHead(response.status, {
          ...response.headers,
          'content-length': Buffer.byteLength(response.body),
        });
        res.end(response.body);
      });
    },
  );

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });

  const { port } = server.address() as AddressInfo;
  const hostInUrl = host === '::1' ? '[::1]' : host;

  return {
    baseUrl: `https://${hostInUrl}:${port}`,
    port,
    caFile,
    dir,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
      }),
  };
}
