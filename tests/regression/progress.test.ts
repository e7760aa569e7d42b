import { Progress } from '../../src/progress';
import { cliWith } from './support';

describe('Progress', () => {
  it('rewrites one line and clears it at the end on a terminal', () => {
    let written = '';
    const progress = new Progress({ write: (t) => (written += t), isTty: true, plannedRequests: 70 });

    progress.update('1/2');
    progress.update('2/2');
    progress.end();

    expect(written).toBe('\r\x1b[2K1/2\r\x1b[2K2/2\r\x1b[2K');
  });

  it('writes nothing when the stream is no terminal', () => {
    let written = '';
    const progress = new Progress({ write: (t) => (written += t), isTty: false, plannedRequests: 70 });

    progress.update('1/2');
    progress.end();

    expect(progress.isEnabled).toBe(false);
    expect(written).toBe('');
  });

  it('writes nothing for a run of a few requests, even on a terminal', () => {
    let written = '';
    const progress = new Progress({ write: (t) => (written += t), isTty: true, plannedRequests: 9 });

    progress.update('1/1');
    progress.end();

    expect(written).toBe('');
  });
});

describe('veeam-auth check progress', () => {
  it('shows a matrix\'s progress on a terminal\'s stderr, then clears it', async () => {
    const result = await cliWith(['check', '--revisions', 'all'], { isTty: true });

    expect(result.code).toBe(0);
    expect(result.stderr).toContain('\r\x1b[2Kveeam-auth: running 10 revisions');
    expect(result.stderr).toMatch(/\r\x1b\[2Kveeam-auth: 10\/10 revisions done \(1\.\d-rev\d (served|refused)\)/);
    expect(result.stderr.endsWith('\r\x1b[2K')).toBe(true);
    expect(result.stdout).not.toContain('\x1b');
  });

  it('writes no progress at all when stderr is no terminal, as in CI', async () => {
    const result = await cliWith(['check', '--revisions', 'all'], { isTty: false });

    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
  });

  it('writes no progress for a plain run, even on a terminal', async () => {
    const result = await cliWith(['check'], { isTty: true });

    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
  });
});
