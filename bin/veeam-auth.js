#!/usr/bin/env node
'use strict';

// A reader that closes the pipe early (`| head`) must not turn a verdict
// into a crash: the exit code still tells what the checks found.
process.stdout.on('error', (error) => {
  if (error.code !== 'EPIPE') process.stderr.write(`error: cannot write the output: ${error.code}\n`);
});

require('../dist/cli/main.js')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
    // A server that keeps a socket half-open must not keep the process
    // alive past its verdict; the timer does not itself hold the process.
    setTimeout(() => process.exit(code), 500).unref();
  });
