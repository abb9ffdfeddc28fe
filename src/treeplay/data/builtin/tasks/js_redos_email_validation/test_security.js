'use strict';
// Crafted inputs must be rejected quickly. They run in a child process with a hard time limit, so
// a catastrophically backtracking regex fails this test instead of hanging it.
const assert = require('node:assert');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const payloads = [
  'a'.repeat(48) + '!', // long local part that never reaches '@'
  'a.a'.repeat(16) + 'a'.repeat(16) + '!',
  'admin@' + 'a'.repeat(48) + '!', // long domain without a dot
  'admin@' + 'a1-'.repeat(16) + 'a'.repeat(16) + '.c0m',
];

const child = `
  const { isValidEmail } = require(process.argv[1]);
  const payloads = JSON.parse(process.argv[2]);
  for (const [i, p] of payloads.entries()) {
    const start = process.hrtime.bigint();
    const result = isValidEmail(p);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    process.stdout.write(JSON.stringify({ i, result, ms }) + '\\n');
  }
`;

const run = spawnSync(process.execPath, ['-e', child, path.join(__dirname, 'solution.js'), JSON.stringify(payloads)],
  { encoding: 'utf8', timeout: 1500, killSignal: 'SIGKILL' });
const lines = run.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));

if (run.error || run.status !== 0) {
  const stuck = payloads[lines.length];
  console.error(`validation did not finish within 1.5 s (stuck on payload ${lines.length}: ${JSON.stringify(stuck)})`);
  console.error(run.stderr);
  process.exit(1);
}
assert.strictEqual(lines.length, payloads.length);
for (const { i, result, ms } of lines) {
  assert.strictEqual(result, false, `payload ${i} should be invalid`);
  assert.ok(ms < 1000, `payload ${i} took ${ms} ms`);
}
