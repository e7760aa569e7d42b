/**
 * Ways the simulated server can misbehave, each the way a bad upgrade or a
 * misconfigured server could. `healthy` is the server as Veeam documents it.
 */
export const SCENARIOS = {
  healthy: 'behaves as Veeam documents',
  'mfa-bypass': 'MFA users get tokens',
  'service-account-refused': 'service accounts get 401 like MFA users',
  'empty-401-body': 'every 401 has an empty body (legal; checks still pass)',
  'wrong-password-accepted': 'any password works for a known user',
  'revision-ignored': 'every x-api-version is served, none refused',
  'token-not-accepted': 'issued access tokens get 401 on protected endpoints',
  'logout-keeps-token': 'logout answers 200 but the token keeps working',
} as const;

export type ScenarioName = keyof typeof SCENARIOS;

export function isScenarioName(value: string): value is ScenarioName {
  return Object.prototype.hasOwnProperty.call(SCENARIOS, value);
}
