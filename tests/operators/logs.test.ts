import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';

import { attributeLog, parseLogTime } from '../../src/logs';
import { Redactor } from '../../src/redact';
import { runChecks } from '../../src/run-checks';
import { loadCollection } from '../../src/config/collection';
import { appendLogTo, formatLog, formatLogEntry } from '../../src/simulator/log-format';
import { startSimulator } from '../../src/simulator/start';
import { VbrClient } from '../../src/vbr-client';
import { nockServer, runAgainst } from '../support/harness';
import { COLLECTION_FILE, FIXTURES, runCli, scratch, type Scratch } from './support';

const MFA_LOG = path.join(FIXTURES, 'svc-resapi-mfa.log');
const BAD_PASSWORD_LOG = path.join(FIXTURES, 'svc-resapi-bad-password.log');

const request = (time: string, thread: string, user: string, password = '****') =>
  `[${time}] <${thread}> Info         [User: Anonymous][POST] request to [/api/oauth2/token] deserialized. ` +
  `Message: [grant_type=password&username=${user}&password=${password}]; Parameters: [x-api-version: 1.3-rev2; ...].`;
const line = (time: string, thread: string, level: string, message: string) =>
  `[${time}] <${thread}> ${level.padEnd(12)} ${message}`;

describe('attributeLog', () => {
  it("attributes the reference's refused login to MFA", async () => {
    const result = await attributeLog(MFA_LOG);

    expect(result.requests).toEqual([
      {
        time: '03.10.2022 11:48:31.999',
        timestamp: Date.UTC(2022, 9, 3, 11, 48, 31, 999),
        line: 1,
        user: 'jdoe',
        status: 401,
        outcome: 'mfa-refused',
        reason: 'password accepted, then the token was refused: the MFA signature',
      },
    ]);
    expect(result).toMatchObject({ lines: 6, entries: 6, malformed: 0 });
  });

  it('attributes a 401 without "Authenticated user" to bad credentials', async () => {
    const result = await attributeLog(BAD_PASSWORD_LOG);

    expect(result.requests).toMatchObject([
      { user: 'svc-backup', status: 401, outcome: 'bad-credentials', reason: 'no "Authenticated user": the user name or password was wrong' },
    ]);
    expect(result.counts).toEqual({ 'mfa-refused': 0, 'bad-credentials': 1, granted: 0, unclear: 0 });
  });

  it('counts and skips a malformed line, and reads an indented one as a continuation', async () => {
    const text = [
      readFileSync(MFA_LOG, 'utf8').trimEnd(),
      'this line is not a log entry',
      '   at Veeam.Backup.RestAPI.Login(String user)',
      '',
      readFileSync(BAD_PASSWORD_LOG, 'utf8').trimEnd(),
    ].join('\r\n');

    const result = await attributeLog(Readable.from([text]));

    expect(result).toMatchObject({ lines: 12, entries: 9, continuations: 1, malformed: 1, malformedLines: [7] });
    expect(result.requests.map((r) => r.outcome)).toEqual(['mfa-refused', 'bad-credentials']);
  });

  it('matches interleaved requests by thread and answers them in order', async () => {
    const text = [
      request('01.06.2025 10:00:00.000', '30', 'mfa-admin'),
      request('01.06.2025 10:00:00.010', '31', 'svc-harness'),
      line('01.06.2025 10:00:00.020', '31', 'Info', 'Authenticated user: [.\\svc-harness]'),
      line('01.06.2025 10:00:00.030', '30', 'Info', 'Authenticated user: [.\\mfa-admin]'),
      line('01.06.2025 10:00:00.040', '30', 'Error', "Login failed for user 'mfa-admin'."),
      line('01.06.2025 10:00:00.050', '08', 'Info', '[POST /api/oauth2/token]: [401] {"errorCode":"AccessDenied"}'),
      line('01.06.2025 10:00:00.060', '09', 'Info', '[POST /api/oauth2/token]: [200]'),
    ].join('\n');

    const result = await attributeLog(Readable.from([text]));

    expect(result.requests.map((r) => [r.user, r.status, r.outcome])).toEqual([
      ['mfa-admin', 401, 'mfa-refused'],
      ['svc-harness', 200, 'granted'],
    ]);
  });

  it('keeps only the requests of --user and from --since on', async () => {
    const text = [
      request('01.06.2025 09:59:59.000', '30', 'mfa-admin'),
      line('01.06.2025 09:59:59.100', '08', 'Info', '[POST /api/oauth2/token]: [401]'),
      request('01.06.2025 10:00:01.000', '31', 'MFA-ADMIN'),
      line('01.06.2025 10:00:01.100', '08', 'Info', '[POST /api/oauth2/token]: [401]'),
      request('01.06.2025 10:00:02.000', '32', 'svc-harness'),
      line('01.06.2025 10:00:02.100', '08', 'Info', '[POST /api/oauth2/token]: [200]'),
    ].join('\n');

    const result = await attributeLog(Readable.from([text]), {
      user: 'VBRSIM\\mfa-admin',
      since: parseLogTime('2025-06-01T10:00') ?? undefined,
    });

    expect(result.requests.map((r) => [r.time, r.user])).toEqual([['01.06.2025 10:00:01.000', 'MFA-ADMIN']]);
  });

  it('streams a large log in bounded time', async () => {
    const dir = scratch();
    const file = path.join(dir.dir, 'Svc.ResAPI.log');
    const out = createWriteStream(file);
    for (let i = 0; i < 50_000; i += 1) {
      out.write(`${readFileSync(MFA_LOG, 'utf8')}`);
    }
    await new Promise((resolve) => out.end(resolve));

    const started = Date.now();
    const result = await attributeLog(file);

    expect(result.lines).toBe(300_000);
    expect(result.counts['mfa-refused']).toBe(50_000);
    expect(Date.now() - started).toBeLessThan(15_000);
    dir.remove();
  });
});

describe('parseLogTime', () => {
  it("reads the log's own form and an ISO-like one, as the server's local time", () => {
    const forms = ['03.10.2022 11:48', '2022-10-03T11:48:00', 'yesterday'];

    const times = forms.map(parseLogTime);

    expect(times).toEqual([Date.UTC(2022, 9, 3, 11, 48), Date.UTC(2022, 9, 3, 11, 48), null]);
  });
});

describe('veeam-auth logs', () => {
  let dir: Scratch;

  beforeEach(() => {
    dir = scratch();
  });

  afterEach(() => dir.remove());

  it("prints the reference's refused login as MFA, one row per token request", async () => {
    const result = await runCli(['logs', MFA_LOG]);

    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(
      [
        'svc-resapi-mfa.log: 1 password-grant token request in 6 lines, no malformed lines',
        '',
        '  time                     user  status  outcome          why',
        '  03.10.2022 11:48:31.999  jdoe  401     mfa-refused      password accepted, then the token was refused: the MFA signature',
        '',
        '1 refused by MFA, 0 bad credentials, 0 granted, 0 unclear',
        '',
      ].join('\n'),
    );
  });

  it('names the malformed lines it skipped', async () => {
    const file = path.join(dir.dir, 'Svc.ResAPI.log');
    writeFileSync(file, `garbage\n${readFileSync(BAD_PASSWORD_LOG, 'utf8')}`);

    const result = await runCli(['logs', file]);

    expect(result.stdout).toMatch(/^Svc\.ResAPI\.log: 1 password-grant token request in 4 lines, 1 malformed line skipped \(line 1\)\n/);
    expect(result.stdout).toContain('svc-backup  401     bad-credentials');
  });

  it('never prints a password, a token or a message body from the log', async () => {
    const token = 'eyJhbGciOiJSUzUxMiJ9.eyJ1bmlxdWVfbmFtZSI6InN2YyJ9.c2lnbmF0dXJl';
    const file = path.join(dir.dir, 'Svc.ResAPI.log');
    writeFileSync(file, [
      request('01.06.2025 10:00:00.000', '30', 'svc-harness', 'Hunter2%26Secret'),
      line('01.06.2025 10:00:00.010', '30', 'Info', 'Authenticated user: [.\\svc-harness]'),
      line('01.06.2025 10:00:00.020', '08', 'Info', `[POST /api/oauth2/token]: [200] {"access_token":"${token}","refresh_token":"${token}"}`),
      `password=Hunter2%26Secret&access_token=${token}`,
      '',
    ].join('\n'));

    const result = await runCli(['logs', file]);

    const printed = result.stdout + result.stderr;
    expect(printed).toContain('svc-harness  200     granted');
    expect(printed).not.toMatch(/Hunter2|eyJ|access_token|errorCode|Parameters/);
  });

  it('prints no control character a log line carries in a user name', async () => {
    const file = path.join(dir.dir, 'Svc.ResAPI.log');
    writeFileSync(file, `${request('01.06.2025 10:00:00.000', '30', 'evil%1B%5B2J')}\n`);

    const result = await runCli(['logs', file]);

    expect(result.stdout).not.toContain('\u001b');
    expect(result.stdout).toContain('evil?[2J');
  });

  it('refuses a missing log file with exit 2', async () => {
    const file = path.join(dir.dir, 'nowhere.log');

    const result = await runCli(['logs', file]);

    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `error: log file ${file}: no such file\n` +
        '  hint: give the path of Svc.ResAPI.log, by default C:\\ProgramData\\Veeam\\Backup\\Svc.ResAPI.log on the VBR server\n',
    );
  });

  it('refuses a --since it cannot read', async () => {
    const result = await runCli(['logs', MFA_LOG, '--since', 'last week']);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: --since takes a time as dd\.MM\.yyyy HH:mm\[:ss\] or yyyy-MM-ddTHH:mm\[:ss\]\n  hint: /);
  });
});

describe("the simulator's REST log", () => {
  it("writes lines in Svc.ResAPI.log's format", () => {
    const entry = { time: new Date(Date.UTC(2022, 9, 3, 11, 48, 32, 71)), level: 'Error' as const, message: "Login failed for user 'jdoe'.", thread: 36 };

    const text = formatLogEntry(entry);

    expect(text).toBe("[03.10.2022 11:48:32.071] <36> Error        Login failed for user 'jdoe'.");
    expect(text.indexOf('Login')).toBe(readFileSync(MFA_LOG, 'utf8').split('\n')[2].indexOf('Login'));
  });

  it("attributes a run's token requests: MFA, bad credentials, granted", async () => {
    const server = nockServer('healthy');
    await runAgainst(server);

    const result = await attributeLog(Readable.from([formatLog(server.model.log)]));

    const { serviceAccountUsername: service, mfaUsername: mfa } = server.credentials;
    expect(result.malformed).toBe(0);
    expect(result.requests.map((r) => [r.user, r.status, r.outcome])).toEqual([
      [service, 200, 'granted'],
      [mfa, 401, 'mfa-refused'],
      [service, 401, 'bad-credentials'],
    ]);
    expect(formatLog(server.model.log)).not.toContain(server.credentials.serviceAccountPassword);
  });

  it('grows a log file while the simulator serves, over a real socket', async () => {
    const dir = scratch();
    const file = path.join(dir.dir, 'Svc.ResAPI.log');
    const simulator = await startSimulator({ port: 0, onLog: appendLogTo(file) });

    await runChecks({
      collection: loadCollection(COLLECTION_FILE),
      environment: { name: 'sim', baseUrl: simulator.baseUrl, apiVersion: simulator.apiVersion, values: [
        { key: 'baseUrl', value: simulator.baseUrl },
        { key: 'apiVersion', value: simulator.apiVersion },
      ] },
      credentials: simulator.credentials,
      caFile: simulator.caFile,
      redactor: new Redactor(),
    });
    await simulator.close();

    const result = await attributeLog(file);
    expect(result.counts).toEqual({ 'mfa-refused': 1, 'bad-credentials': 1, granted: 1, unclear: 0 });
    dir.remove();
  });
});

describe('veeam-auth sim --log', () => {
  it('appends the REST log of what it served to the file', async () => {
    const dir = scratch();
    const file = path.join(dir.dir, 'Svc.ResAPI.log');

    const result = await runCli(['sim', '--port', '0', '--log', file], {
      untilStopped: async (stdout) => {
        // Log in as the printed MFA user, as a Postman user would.
        const text = stdout();
        const baseUrl = /listening on (\S+)/.exec(text)?.[1] ?? '';
        const caFile = /CA file\s+(\S+)/.exec(text)?.[1] ?? '';
        const [, user, password] = /MFA user\s+(\S+) \/ (\S+)/.exec(text) ?? [];
        await new VbrClient({ baseUrl, apiVersion: '1.3-rev2', caFile }).passwordGrant(user, password);
      },
    });

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`REST log       ${file}`);
    const attributed = await attributeLog(file);
    expect(attributed.requests.map((r) => [r.user, r.outcome])).toEqual([['mfa-admin', 'mfa-refused']]);
    dir.remove();
  });
});
