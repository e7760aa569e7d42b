import { writeFileSync } from 'node:fs';
import path from 'node:path';

import type { Credentials } from '../config/credentials';
import { LATEST_API_VERSION, revisionOf, revisionsServedBy } from '../revisions';
import { serveSimulator, type ServeOptions, type SimulatorServer } from './https-face';
import { demoAccounts, VbrModel, type Account, type LogEntry } from './model';
import type { ScenarioName } from './scenarios';

export type RunningSimulator = SimulatorServer & {
  model: VbrModel;
  apiVersion: string;
  credentials: Credentials;
  /** A Postman environment for this server, demo credentials filled in. */
  environmentFile: string;
};

export type StartOptions = ServeOptions & {
  scenario?: ScenarioName;
  /** The newest revision served, standing for its release; the latest by default. */
  apiVersion?: string;
  /**
   * Accounts to serve instead of the demo ones. The first service account
   * and the first MFA user become the credentials.
   */
  accounts?: Account[];
  /** Called with each line of the server's REST log as it is written. */
  onLog?: (entry: LogEntry) => void;
};

/**
 * Starts the simulator on loopback with fresh demo accounts and writes, in
 * its own 0700 temporary folder, the CA and a ready Postman environment.
 */
export async function startSimulator(
  options: StartOptions = {},
): Promise<RunningSimulator> {
  const apiVersion = options.apiVersion ?? LATEST_API_VERSION;
  const accounts = options.accounts ?? demoAccounts();
  const model = new VbrModel({
    accounts,
    scenario: options.scenario,
    revisions: revisionsServedBy(apiVersion),
    buildVersion: revisionOf(apiVersion)?.firstBuild,
    onLog: options.onLog,
  });
  const server = await serveSimulator(model, options);

  const service = accounts.find((a) => a.isServiceAccount) ?? accounts[0];
  const mfa = accounts.find((a) => a.mfaEnabled && !a.isServiceAccount) ?? accounts[1];
  const credentials: Credentials = {
    serviceAccountUsername: service.username,
    serviceAccountPassword: service.password,
    mfaUsername: mfa.username,
    mfaPassword: mfa.password,
  };

  const environmentFile = path.join(server.dir, 'sim.postman_environment.json');
  const environment = {
    name: 'veeam-auth sim (demo credentials)',
    values: [
      { key: 'baseUrl', value: server.baseUrl, type: 'default', enabled: true },
      { key: 'apiVersion', value: apiVersion, type: 'default', enabled: true },
      ...Object.entries(credentials).map(([key, value]) => ({ key, value, type: 'secret', enabled: true })),
    ],
    _postman_variable_scope: 'environment',
  };
  writeFileSync(environmentFile, `${JSON.stringify(environment, null, 2)}\n`, { mode: 0o600 });

  return { ...server, model, apiVersion, credentials, environmentFile };
}
