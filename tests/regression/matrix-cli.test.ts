import { REVISIONS } from '../../src/revisions';
import { cliWith, scratch } from './support';

const withoutPort = (text: string) => text.replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT');

describe('veeam-auth check --revisions', () => {
  it('shows every known revision against the simulator: the old ones refused, the served ones passing', async () => {
    const result = await cliWith(['check', '--revisions', 'all']);

    const rows = result.stdout.split('\n').filter((line) => /^ {2}1\.\d-rev\d /.test(line));
    expect(result.code).toBe(0);
    expect(rows).toHaveLength(REVISIONS.length);
    expect(rows.filter((r) => r.includes(' refused ')).map((r) => r.trim().split(/\s+/)[0])).toEqual(['1.0-rev1', '1.0-rev2']);
    for (const row of rows.filter((r) => r.includes(' served '))) {
      expect(row).toMatch(/ served +PASS 200 +PASS 401 +\d\/\d passed/);
    }
    expect(result.stdout).toContain('PASS: every served revision refuses the MFA user and serves the service account (8 served, 2 refused)\n');
  });

  it('exits 1 when the server refuses every revision asked for, saying nothing was proven', async () => {
    const result = await cliWith(['check', '--revisions', '1.0-rev1,1.0-rev2']);

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('FAIL: the server refused every revision asked for, so nothing was proven\n');
  });

  it('counts an HTML page answering the token request as a failure, not a refusal', async () => {
    const result = await cliWith(['check', '--fault', 'html', '--revisions', '1.3-rev2']);

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/ 1\.3-rev2 +13\.1\.0\.411 +served /);
    expect(withoutPort(result.stderr)).toContain('error: 1.3-rev2: 127.0.0.1:PORT answered POST /api/oauth2/token with 200 (text/html): an HTML page');
  });

  it('exits 5 when the server\'s certificate is not trusted', async () => {
    const result = await cliWith(['check', '--fault', 'tls-untrusted', '--revisions', '1.3-rev2']);

    expect(result.code).toBe(5);
    expect(result.stdout).toContain('NO RESPONSE: the certificate of');
  });

  it('exits 1 for a matrix in which the MFA user gets a token', async () => {
    const result = await cliWith(['check', '--scenario', 'mfa-bypass', '--revisions', '1.2-rev1,1.3-rev2']);

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('  1.2-rev1 mfa-user-refused: MFA user gets 401: status: expected 200 to equal 401\n');
    expect(result.stdout).toContain('FAIL: 2 served revisions of 2 failed: 1.2-rev1 (mfa-user-refused); 1.3-rev2 (mfa-user-refused)\n');
  });
});

describe('veeam-auth check --discover', () => {
  it('runs the revisions the simulator publishes, and only those', async () => {
    const result = await cliWith(['check', '--discover', '--server-release', '13.0']);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('swagger probe: 7 of 10 served: 1.1-rev0, 1.1-rev1, 1.1-rev2, 1.2-rev0, 1.2-rev1, 1.3-rev0, 1.3-rev1\n');
    expect(result.stdout).not.toMatch(/^ {2}1\.3-rev2 /m);
  });
});

describe('a plain check with a report', () => {
  it('prints what a plain check prints and exits as it does', async () => {
    const dir = scratch();

    const plain = await cliWith(['check']);
    const reported = await cliWith(['check', '--junit', dir.file('junit.xml')]);

    dir.remove();
    expect(reported.code).toBe(plain.code);
    expect(withoutPort(reported.stdout)).toBe(withoutPort(plain.stdout));
    expect(reported.stderr).toBe(plain.stderr);
  });
});
