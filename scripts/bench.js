#!/usr/bin/env node
'use strict';
// Measures veeam-auth against the plain newman CLI on this machine, as whole
// processes: median wall time and peak memory (through GNU time when it is
// installed), and the median of the per-pair ratios, A and B run in turn so
// that drift of the machine's speed hits both.
//
//   scripts/bench [--runs 7] [--fleet 50] [--only check,matrix,fleet]   (or npm run bench)
//
// It starts its own simulators on 127.0.0.1 and sends nothing anywhere else.

const { spawn } = require('node:child_process');
const { existsSync, mkdtempSync, writeFileSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'veeam-auth.js');
const NEWMAN = path.join(ROOT, 'node_modules', 'newman', 'bin', 'newman.js');
const COLLECTION = path.join(ROOT, 'collections', 'vbr-auth.postman_collection.json');
const GNU_TIME = '/usr/bin/time';

function flag(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
}

const RUNS = Number(flag('--runs', '7'));
const FLEET = Number(flag('--fleet', '50'));
const ONLY = flag('--only', 'check,matrix,fleet').split(',');
const CONCURRENCY = Number(flag('--concurrency', '8'));

if (!existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) {
  console.error('error: dist/ is missing\n  hint: run npm run build first');
  process.exit(2);
}

const { startSimulator } = require(path.join(ROOT, 'dist', 'simulator', 'start.js'));

/** Runs argv once; resolves to wall seconds and peak RSS in MiB (null without GNU time). */
function once(argv, env) {
  const hasTime = existsSync(GNU_TIME);
  const command = hasTime ? GNU_TIME : process.execPath;
  const args = hasTime ? ['-f', '%e %M', process.execPath, ...argv] : argv;
  const started = process.hrtime.bigint();
  // Asynchronous on purpose: the simulators live in this process and must
  // keep answering while the child runs.
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status) => {
      const wall = Number(process.hrtime.bigint() - started) / 1e9;
      if (status !== 0) {
        reject(new Error(`${path.basename(argv[0])} ${argv[1]} exited ${status}: ${stderr.slice(-400)}`));
        return;
      }
      let rss = null;
      if (hasTime) {
        const kib = Number((stderr.trim().split('\n').pop() ?? '').split(' ')[1]);
        rss = Number.isFinite(kib) ? kib / 1024 : null;
      }
      resolve({ wall, rss });
    });
  });
}

/** Runs a sample: one or more processes in sequence; walls add, RSS is the peak. */
async function sample(commands, env) {
  let wall = 0;
  let rss = null;
  for (const argv of commands) {
    const r = await once(argv, env);
    wall += r.wall;
    if (r.rss !== null) rss = Math.max(rss ?? 0, r.rss);
  }
  return { wall, rss };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function compare(title, a, b, env, runs = RUNS) {
  await sample(a.commands, env);
  await sample(b.commands, env);
  const as = [];
  const bs = [];
  for (let i = 0; i < runs; i += 1) {
    as.push(await sample(a.commands, env));
    bs.push(await sample(b.commands, env));
  }
  const wallRatio = median(as.map((x, i) => x.wall / bs[i].wall));
  const rssA = as[0].rss === null ? null : median(as.map((x) => x.rss));
  const rssB = bs[0].rss === null ? null : median(bs.map((x) => x.rss));
  const mib = (v) => (v === null ? 'n/a' : `${v.toFixed(0)} MiB`);
  console.log(`\n${title} (${runs} runs each, after one warm-up)`);
  console.log(`  A ${a.label}: median ${median(as.map((x) => x.wall)).toFixed(3)} s, peak ${mib(rssA)}`);
  console.log(`  B ${b.label}: median ${median(bs.map((x) => x.wall)).toFixed(3)} s, peak ${mib(rssB)}`);
  console.log(`  A/B wall: ${wallRatio.toFixed(2)}x (median of pairs)${rssA !== null ? `, A/B peak memory: ${(rssA / rssB).toFixed(2)}x` : ''}`);
  return { wallRatio, rssRatio: rssA !== null ? rssA / rssB : null };
}

function credentialEnv(prefix, credentials) {
  return {
    [`${prefix}SERVICE_ACCOUNT_USERNAME`]: credentials.serviceAccountUsername,
    [`${prefix}SERVICE_ACCOUNT_PASSWORD`]: credentials.serviceAccountPassword,
    [`${prefix}MFA_USERNAME`]: credentials.mfaUsername,
    [`${prefix}MFA_PASSWORD`]: credentials.mfaPassword,
  };
}

async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'veeam-auth-bench-'));
  const baseEnv = { ...process.env };
  for (const key of Object.keys(baseEnv)) if (key.startsWith('VBR_') || key === 'NODE_DEBUG') delete baseEnv[key];

  console.log(`veeam-auth bench: node ${process.version}, ${os.cpus().length} cores, ${os.platform()} ${os.release()}`);
  const sim = await startSimulator({ port: 0 });
  // Credentials go to the children through their environment, never argv.
  const env = { ...baseEnv, ...credentialEnv('VBR_', sim.credentials) };
  const newmanRun = (server) => [NEWMAN, 'run', COLLECTION, '-e', server.environmentFile, '--ssl-extra-ca-certs', server.caFile];
  const check = ['check', '--env', sim.environmentFile, '--ca-cert', sim.caFile];

  try {
    if (ONLY.includes('check')) {
      await compare('one check vs the newman CLI, same collection, same simulator',
        { label: 'veeam-auth check', commands: [[BIN, ...check]] },
        { label: 'newman run', commands: [newmanRun(sim)] },
        env);
    }

    if (ONLY.includes('matrix')) {
      await compare('revision matrix vs a single run',
        { label: 'veeam-auth check --revisions all', commands: [[BIN, ...check, '--revisions', 'all']] },
        { label: 'veeam-auth check', commands: [[BIN, ...check]] },
        env);
    }

    if (ONLY.includes('fleet')) {
      const servers = [];
      for (let i = 0; i < FLEET; i += 1) servers.push(await startSimulator({ port: 0 }));
      const fleetEnv = { ...baseEnv };
      const targets = servers.map((server, i) => {
        const prefix = `SIM${i}_`;
        Object.assign(fleetEnv, credentialEnv(prefix, server.credentials));
        return {
          name: `sim-${i}`,
          env: server.environmentFile,
          caCert: server.caFile,
          credentials: {
            serviceAccountUsername: `${prefix}SERVICE_ACCOUNT_USERNAME`,
            serviceAccountPassword: `${prefix}SERVICE_ACCOUNT_PASSWORD`,
            mfaUsername: `${prefix}MFA_USERNAME`,
            mfaPassword: `${prefix}MFA_PASSWORD`,
          },
        };
      });
      const targetsFile = path.join(dir, 'targets.json');
      writeFileSync(targetsFile, JSON.stringify({ concurrency: CONCURRENCY, targets }, null, 2));
      try {
        await compare(`fleet of ${FLEET} simulated servers vs the newman CLI once per server`,
          { label: 'veeam-auth check --targets', commands: [[BIN, 'check', '--targets', targetsFile]] },
          { label: `newman run x${FLEET}`, commands: servers.map(newmanRun) },
          fleetEnv,
          Math.max(3, Math.floor(RUNS / 2)));
      } finally {
        await Promise.all(servers.map((s) => s.close()));
      }
    }
  } finally {
    await sim.close();
  }
}

main().catch((error) => {
  console.error(`error: ${error.message}`);
  process.exit(1);
});
