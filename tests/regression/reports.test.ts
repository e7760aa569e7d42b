import { readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';

import { Redactor } from '../../src/redact';
import { writeReport } from '../../src/reports/write-report';
import { cliWith, scratch } from './support';

describe('writeReport', () => {
  it('replaces the named file whole and leaves no temporary file behind', () => {
    const dir = scratch();
    writeFileSync(dir.file('report.xml'), 'old');

    writeReport(dir.file('report.xml'), 'new', new Redactor());

    expect(readFileSync(dir.file('report.xml'), 'utf8')).toBe('new');
    expect(readdirSync(dir.dir)).toEqual(['report.xml']);
    dir.remove();
  });

  it('never touches a file that happens to have a temporary-looking name', () => {
    const dir = scratch();
    const bystander = dir.file(`.report.xml.${process.pid}.tmp`);
    writeFileSync(bystander, 'keep me');

    writeReport(dir.file('report.xml'), 'new', new Redactor());

    expect(readFileSync(bystander, 'utf8')).toBe('keep me');
    expect(readdirSync(dir.dir).sort()).toEqual([`.report.xml.${process.pid}.tmp`, 'report.xml']);
    dir.remove();
  });

  it('replaces a symbolic link itself, not the file it points to', () => {
    const dir = scratch();
    writeFileSync(dir.file('elsewhere.txt'), 'keep me');
    symlinkSync(dir.file('elsewhere.txt'), dir.file('report.html'));

    writeReport(dir.file('report.html'), 'new', new Redactor());

    expect(readFileSync(dir.file('elsewhere.txt'), 'utf8')).toBe('keep me');
    expect(readFileSync(dir.file('report.html'), 'utf8')).toBe('new');
    dir.remove();
  });

  it('masks what the redactor knows', () => {
    const dir = scratch();
    const redactor = new Redactor();
    redactor.add('s3cret&+%#');

    writeReport(dir.file('r.txt'), 'a s3cret&+%# b s3cret%26%2B%25%23', redactor);

    expect(readFileSync(dir.file('r.txt'), 'utf8')).toBe('a [REDACTED] b [REDACTED]');
    dir.remove();
  });
});

describe('veeam-auth check report paths', () => {
  const flags = ['--junit', '--html', '--save-baseline'];

  it.each(flags)('exits 3 before any request when the folder of %s is missing', async (flag) => {
    const dir = scratch();
    const file = dir.file('absent/report');

    const result = await cliWith(['check', '--revisions', 'all', flag, file]);

    dir.remove();
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`error: ${flag} ${file}: folder ${dir.file('absent')} does not exist\n  hint: create the folder first, or choose another path\n`);
  });

  it('exits 3 when a report path is a folder', async () => {
    const dir = scratch();

    const result = await cliWith(['check', '--html', dir.dir]);

    dir.remove();
    expect(result.code).toBe(3);
    expect(result.stderr).toBe(`error: --html ${dir.dir} is a folder\n  hint: name a file inside it instead\n`);
  });

  it('refuses two reports aimed at one file', async () => {
    const dir = scratch();

    const result = await cliWith(['check', '--junit', dir.file('r'), '--html', dir.file('r')]);

    dir.remove();
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`error: --junit and --html name the same file ${dir.file('r')}\n  hint: give each report its own file\n`);
  });

  it('refuses a report aimed at the baseline it compares with', async () => {
    const dir = scratch();
    await cliWith(['check', '--revisions', '1.3-rev2', '--save-baseline', dir.file('b.json')]);
    const before = readFileSync(dir.file('b.json'), 'utf8');

    const result = await cliWith(['check', '--compare', dir.file('b.json'), '--html', dir.file('b.json')]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`error: --html ${dir.file('b.json')} is the file given to --compare: writing it would destroy an input\n`);
    expect(readFileSync(dir.file('b.json'), 'utf8')).toBe(before);
    dir.remove();
  });

  it('writes every report asked for, and nothing else, into the folder', async () => {
    const dir = scratch();

    const result = await cliWith([
      'check', '--revisions', '1.2-rev1,1.3-rev2',
      '--junit', dir.file('junit.xml'), '--html', dir.file('report.html'),
      '--json', dir.file('verdict.json'), '--save-baseline', dir.file('baseline.json'),
    ]);

    const files = readdirSync(dir.dir).sort();
    const json = JSON.parse(readFileSync(dir.file('verdict.json'), 'utf8')) as { revisions: { apiVersion: string }[] };
    dir.remove();
    expect(result.code).toBe(0);
    expect(files).toEqual(['baseline.json', 'junit.xml', 'report.html', 'verdict.json']);
    expect(json.revisions.map((r) => r.apiVersion)).toEqual(['1.2-rev1', '1.3-rev2']);
  });

  it('refuses --server-release with --env', async () => {
    const result = await cliWith(['check', '--env', 'environments/sim.postman_environment.json', '--server-release', '12.3']);

    expect(result.code).toBe(2);
    expect(result.stderr).toBe('error: --server-release applies to the built-in simulator, not to a server given with --env\n  hint: drop --server-release, or drop --env to use the simulator\n');
  });

  it('refuses a release the revisions table does not know, listing those it does', async () => {
    const result = await cliWith(['check', '--server-release', '14.0']);

    expect(result.code).toBe(2);
    expect(result.stderr).toBe('error: --server-release "14.0" is no VBR release the revisions table knows\n  hint: give one of 11.0, 12.0, 12.1, 12.2, 12.3, 13.0, 13.1, a full build such as 12.3.1.1139, or latest\n');
  });
});
