/**
 * Runs `tbp-models <args>` in a child process once the parent says so: prints
 * "ready" when loaded, waits for a line on stdin, then runs. Lets a test start
 * several processes on one database at the same instant.
 */
import { main } from '../../src/cli';

process.stdout.write('ready\n');
process.stdin.once('data', () => {
  process.stdin.pause();
  main(process.argv.slice(2), {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    interactive: false,
    env: process.env,
  }).then((code) => {
    process.exitCode = code;
  });
});
