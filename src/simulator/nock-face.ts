import nock from 'nock';

import type { SimResponse, VbrModel } from './model';

/**
 * Serves `model` at `baseUrl` through nock interceptors, for tests that run
 * newman in-process. Returns the scope; `nock.cleanAll()` removes it.
 */
export function interceptSimulator(model: VbrModel, baseUrl: string): nock.Scope {
  const answer = function (
    this: nock.ReplyFnContext,
    method: string,
    path: string,
    body: nock.Body,
  ): nock.ReplyFnResult {
    const response = model.handle({
      method,
      path,
      headers: this.req.headers,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return reply(response);
  };

  const scope = nock(baseUrl).persist();
  for (const method of ['get', 'post', 'put', 'delete', 'patch'] as const) {
    scope
      .intercept(/.*/, method.toUpperCase())
      .reply(function (path, body) {
        return answer.call(this, method.toUpperCase(), path, body);
      });
  }
  return scope;
}

// nock 14 writes function replies without length framing, and newman's
// keep-alive agent then waits forever for the end of the body (nock #3001,
// #2918): every reply names its Content-Length.
function reply(response: SimResponse): nock.ReplyFnResult {
  return [
    response.status,
    response.body,
    {
      ...response.headers,
      'content-length': String(Buffer.byteLength(response.body)),
    },
  ];
}
