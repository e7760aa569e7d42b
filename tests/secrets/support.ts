import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

import { VbrModel, type SimRequest, type SimResponse } from '../../src/simulator/model';

/** One POST /api/oauth2/token as it arrived: the raw body and its fields. */
export type WireToken = { raw: string; fields: [string, string][] };

/**
 * The simulator's model, keeping what the tests need to prove delivery and
 * to search for leaks: every token request's raw body, and every token the
 * server handed out.
 */
export class RecordingModel extends VbrModel {
  readonly tokenBodies: WireToken[] = [];
  readonly issuedTokens = new Set<string>();

  handle(request: SimRequest): SimResponse {
    if (request.method.toUpperCase() === 'POST' && request.path.startsWith('/api/oauth2/token')) {
      this.tokenBodies.push({ raw: request.body, fields: [...new URLSearchParams(request.body)] });
    }

    const response = super.handle(request);
    try {
      const body = JSON.parse(response.body) as Record<string, unknown>;
      for (const key of ['access_token', 'refresh_token']) {
        if (typeof body[key] === 'string') this.issuedTokens.add(body[key] as string);
      }
    } catch {
      // Not JSON: no token in it.
    }
    return response;
  }
}

/** Every file under `dir`, as path and text, skipping the paths in `except`. */
export function filesUnder(dir: string, except: ReadonlySet<string> = new Set()): { file: string; text: string }[] {
  const found: { file: string; text: string }[] = [];
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (except.has(file)) continue;
    if (statSync(file).isDirectory()) found.push(...filesUnder(file, except));
    else found.push({ file, text: readFileSync(file, 'utf8') });
  }
  return found;
}

/**
 * What a properly form-encoded value looks like: unreserved characters, `+`
 * for a space, and %XX for everything else. A raw `&`, `=`, `#` or space,
 * a bare `%` or a raw non-ASCII byte would break the body.
 */
export const FORM_VALUE = /^(?:[A-Za-z0-9*\-._~+]|%[0-9A-Fa-f]{2})*$/;

/** The value of `name` in a raw form body, still encoded. */
export function rawField(body: string, name: string): string | undefined {
  return body
    .split('&')
    .map((pair) => pair.split('='))
    .find(([key]) => key === name)?.[1];
}
