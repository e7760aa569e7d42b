import { setTimeout as sleep } from 'node:timers/promises';

import { debugLog, withLog } from '../../src/log';
import { MASK, Redactor } from '../../src/redact';

let savedDebug: string | undefined;

beforeEach(() => {
  savedDebug = process.env.NODE_DEBUG;
});

afterEach(() => {
  if (savedDebug === undefined) delete process.env.NODE_DEBUG;
  else process.env.NODE_DEBUG = savedDebug;
  jest.restoreAllMocks();
});

function capture(): { lines: string[]; write: (text: string) => void } {
  const lines: string[] = [];
  return { lines, write: (text) => lines.push(text) };
}

describe('debugLog', () => {
  it('is silent unless NODE_DEBUG names its section', () => {
    delete process.env.NODE_DEBUG;
    const sink = capture();
    const debug = debugLog('veeam-auth:run');

    withLog({ write: sink.write }, () => debug('hello'));

    expect(sink.lines).toEqual([]);
    expect(debug.enabled).toBe(false);
  });

  it.each(['veeam-auth:*', 'http,veeam-auth:run', 'VEEAM-AUTH:RUN', '*'])(
    'writes when NODE_DEBUG is %s, prefixed like util.debuglog',
    (setting) => {
      process.env.NODE_DEBUG = setting;
      const sink = capture();
      const debug = debugLog('veeam-auth:run');

      withLog({ write: sink.write }, () => debug('%s -> %d', 'GET /api/v1/serverTime', 200));

      expect(sink.lines).toEqual([`VEEAM-AUTH:RUN ${process.pid}: GET /api/v1/serverTime -> 200\n`]);
    },
  );

  it('stays silent for a section NODE_DEBUG does not name', () => {
    process.env.NODE_DEBUG = 'veeam-auth:config';
    const sink = capture();

    withLog({ write: sink.write }, () => debugLog('veeam-auth:run')('hello'));

    expect(sink.lines).toEqual([]);
  });

  it('masks the secrets of the enclosing contexts, outer and inner', () => {
    process.env.NODE_DEBUG = 'veeam-auth:*';
    const sink = capture();
    const outer = new Redactor();
    outer.add('outer-secret');
    const inner = new Redactor();
    inner.add('inner&secret');

    withLog({ redactor: outer, write: sink.write }, () =>
      withLog({ redactor: inner }, () =>
        debugLog('veeam-auth:run')('%s %s %s', 'outer-secret', encodeURIComponent('inner&secret'), 'password=p'),
      ),
    );

    expect(sink.lines).toEqual([`VEEAM-AUTH:RUN ${process.pid}: ${MASK} ${MASK} password=${MASK}\n`]);
  });

  it('keeps concurrent runs apart: each line goes to its own run sink', async () => {
    process.env.NODE_DEBUG = 'veeam-auth:*';
    const debug = debugLog('veeam-auth:run');
    const a = capture();
    const b = capture();
    const run = (name: string, delays: number[]) => async () => {
      for (const ms of delays) {
        await sleep(ms);
        debug('%s after %d', name, ms);
      }
    };

    await Promise.all([
      withLog({ write: a.write }, run('a', [5, 1, 5])),
      withLog({ write: b.write }, run('b', [1, 5, 1])),
    ]);

    expect(a.lines.map((l) => l.replace(/^.*: /, ''))).toEqual(['a after 5\n', 'a after 1\n', 'a after 5\n']);
    expect(b.lines.map((l) => l.replace(/^.*: /, ''))).toEqual(['b after 1\n', 'b after 5\n', 'b after 1\n']);
  });

  it('masks by key and shape on stderr when no run encloses it', () => {
    process.env.NODE_DEBUG = 'veeam-auth:*';
    const written: string[] = [];
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });

    debugLog('veeam-auth:run')('Authorization: Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.');

    expect(written).toEqual([`VEEAM-AUTH:RUN ${process.pid}: Authorization: ${MASK}\n`]);
  });
});
