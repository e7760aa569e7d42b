import { readFileSync } from 'node:fs';
import path from 'node:path';

import { HarnessError } from '../errors';

/** Resolves a --ca-cert path and checks it holds a PEM certificate. */
export function caCertPath(cwd: string, file: string): string {
  const target = path.resolve(cwd, file);
  let text: string;
  try {
    text = readFileSync(target, 'utf8');
  } catch {
    throw new HarnessError('ERR_CA_CERT', `--ca-cert ${file}: no such readable file`, 'export the VBR certificate as PEM (Base-64 encoded X.509) and give its path');
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new HarnessError('ERR_CA_CERT', `--ca-cert ${file} holds no PEM certificate`, 'export the certificate as Base-64 encoded X.509 (.pem/.cer), not DER');
  }
  return target;
}
