import { readFileSync } from 'node:fs';

import type { Baseline } from '../../src/baseline';
import { revisionsServedBy } from '../../src/revisions';
import { cliWith, scratch } from './support';

describe('--server-release', () => {
  it('makes the simulator of sim serve the newest revision of that release', async () => {
    const result = await cliWith(['sim', '--port', '0', '--server-release', '12.3']);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('x-api-version  1.2-rev1\n');
  });

  it('makes the simulator of check serve the revisions of that release, and only those', async () => {
    const result = await cliWith(['check', '--discover', '--server-release', '12.3']);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`swagger probe: 7 of 10 served: ${revisionsServedBy('1.2-rev1').join(', ')}\n`);
    expect(result.stdout).toContain('target simulator https://127.0.0.1:');
  });

  it('makes the simulator report the release\'s build in serverInfo', async () => {
    const dir = scratch();

    await cliWith(['check', '--server-release', '13.0.0', '--revisions', '1.3-rev0', '--save-baseline', dir.file('b.json')]);

    const baseline = JSON.parse(readFileSync(dir.file('b.json'), 'utf8')) as Baseline;
    dir.remove();
    expect(baseline.server.buildVersion).toBe('13.0.0.4967');
  });

  it('runs a plain check with the release\'s own revision', async () => {
    const result = await cliWith(['check', '--server-release', '12.0']);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(', x-api-version 1.1-rev0\n');
  });
});
