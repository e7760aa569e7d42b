import { LATEST_API_VERSION } from '../../src/revisions';
import type { SimResponse, VbrModel } from '../../src/simulator/model';

/** Speaks to a model the way a client speaks to a server, minus the socket. */
export class ModelClient {
  constructor(
    private readonly model: VbrModel,
    private readonly apiVersion: string | null = LATEST_API_VERSION,
  ) {}

  token(form: Record<string, string>, apiVersion = this.apiVersion): SimResponse {
    return this.model.handle({
      method: 'POST',
      path: '/api/oauth2/token',
      headers: {
        ...versionHeader(apiVersion),
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams(form).toString(),
    });
  }

  passwordGrant(username: string, password: string): SimResponse {
    return this.token({ grant_type: 'password', username, password });
  }

  refreshGrant(refreshToken: string): SimResponse {
    return this.token({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
    });
  }

  sessions(accessToken: string): SimResponse {
    return this.withBearer('GET', '/api/v1/sessions?limit=1', accessToken);
  }

  logout(accessToken: string): SimResponse {
    return this.withBearer('POST', '/api/oauth2/logout', accessToken);
  }

  private withBearer(method: string, path: string, token: string): SimResponse {
    return this.model.handle({
      method,
      path,
      headers: {
        ...versionHeader(this.apiVersion),
        authorization: `Bearer ${token}`,
      },
      body: '',
    });
  }
}

export type TokenBody = {
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
  '.issued': string;
  '.expires': string;
  username?: string;
};

export function bodyOf<T = Record<string, unknown>>(response: SimResponse): T {
  return JSON.parse(response.body) as T;
}

function versionHeader(apiVersion: string | null): Record<string, string> {
  return apiVersion === null ? {} : { 'x-api-version': apiVersion };
}
