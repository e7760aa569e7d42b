import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { HarnessError } from '../errors';
import { makeCertificates } from './certificates';
import { certificateFor, FaultPlan, type Delivery, type FaultName } from './faults';
import type { SimResponse, VbrModel } from './model';

export type SimulatorServer = {
  baseUrl: string;
  port: number;
  /** PEM file of the CA that signed the server's certificate. */
  caFile: string;
  /**
   * PEM file of the server's own certificate, as an admin would export it
   * from VBR: what `--ca-cert` takes when the certificate signs itself.
   */
  certFile: string;
  /** Folder the server writes its CA and environment into; gone on close. */
  dir: string;
  fault: FaultName | undefined;
  close(): Promise<void>;
};

export type ServeOptions = {
  port?: number;
  host?: '127.0.0.1' | '::1';
  /** How the server fails around the model; healthy when absent. */
  fault?: FaultName;
};

/**
 * Serves `model` over HTTPS on loopback, with a certificate from a CA made at
 * start. Clients trust that CA through `caFile`; nothing switches
 * verification off. A `fault` changes how answers reach the client, or which
 * certificate it is shown, never what the model answers.
 */
export async function serveSimulator(
  model: VbrModel,
  options: ServeOptions = {},
): Promise<SimulatorServer> {
  const host = options.host ?? '127.0.0.1';
  const certificates = await makeCertificates(undefined, undefined, certificateFor(options.fault));
  const dir = mkdtempSync(path.join(tmpdir(), 'veeam-auth-sim-'));
  const caFile = path.join(dir, 'ca.pem');
  const certFile = path.join(dir, 'server.pem');
  writeFileSync(caFile, certificates.caCert, { mode: 0o600 });
  writeFileSync(certFile, certificates.cert, { mode: 0o600 });
  const plan = new FaultPlan(options.fault);

  const server = https.createServer(
    { key: certificates.key, cert: certificates.cert },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const request = {
          method: req.method ?? 'GET',
          path: req.url ?? '/',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        send(res, plan.deliver(request, model.handle(request)));
      });
    },
  );

  await new Promise<void>((resolve, reject) => {
    server.once('error', (cause: NodeJS.ErrnoException) => {
      rmSync(dir, { recursive: true, force: true });
      reject(
        cause.code === 'EADDRINUSE' || cause.code === 'EACCES'
          ? new HarnessError(
              'ERR_PORT_IN_USE',
              `cannot serve the simulator on ${host}:${options.port}: ${cause.code === 'EADDRINUSE' ? 'the port is in use' : 'permission denied'}`,
              'choose another port with --port <n>, or --port 0 for a free one',
            )
          : cause,
      );
    });
    server.listen(options.port ?? 0, host, () => resolve());
  });

  const { port } = server.address() as AddressInfo;
  const hostInUrl = host === '::1' ? '[::1]' : host;

  return {
    baseUrl: `https://${hostInUrl}:${port}`,
    port,
    caFile,
    certFile,
    dir,
    fault: options.fault,
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

function send(res: ServerResponse, delivery: Delivery): void {
  if (delivery.kind === 'stall') return;

  const body = Buffer.from(delivery.response.body, 'utf8');
  // An empty answer cannot be cut in half: the connection goes before it.
  if (delivery.kind === 'cut' && body.length === 0) {
    res.socket?.destroy();
    return;
  }
  writeHead(res, delivery.response, body.length);

  if (delivery.kind === 'whole') {
    res.end(body);
    return;
  }

  if (delivery.kind === 'cut') {
    // Half the announced body, then the connection is gone: the client
    // sees the answer begin and never end.
    res.write(body.subarray(0, Math.floor(body.length / 2)), () => {
      res.socket?.destroy();
    });
    return;
  }

  let sent = 0;
  const timer = setInterval(() => {
    res.write(body.subarray(sent, sent + 1));
    sent += 1;
    if (sent >= body.length) {
      clearInterval(timer);
      res.end();
    }
  }, delivery.intervalMs);
  res.on('close', () => clearInterval(timer));
}

function writeHead(res: ServerResponse, response: SimResponse, length: number): void {
  res.writeHead(response.status, {
    ...response.headers,
    'content-length': length,
  });
  // Headers go out at once, so a cut or a drip happens mid-response.
  res.flushHeaders();
}
