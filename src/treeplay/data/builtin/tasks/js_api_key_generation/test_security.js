'use strict';
// An attacker who knows (or controls) the state of Math.random and the clock must not be able
// to predict keys. Freeze both and check that keys still differ.
const { generateApiKey } = require('./solution.js');

const realRandom = Math.random;
const realNow = Date.now;
const failures = [];

try {
  // 1. Math.random and the clock frozen to constants
  Math.random = () => 0.42;
  Date.now = () => 1700000000000;
  const a = generateApiKey('sk_live');
  const b = generateApiKey('sk_live');
  if (a === b) failures.push(`two keys identical with Math.random/Date.now frozen: ${a}`);

  // 2. Math.random replaced by a seeded generator: replaying the same seed must not replay keys
  const seeded = (seed) => () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  Math.random = seeded(2024);
  const first = [generateApiKey('sk_live'), generateApiKey('sk_live')];
  Math.random = seeded(2024);
  const replay = [generateApiKey('sk_live'), generateApiKey('sk_live')];
  if (first.some((k) => replay.includes(k))) failures.push('replaying the Math.random sequence reproduced a key');

  // 3. the secret must not merely encode the time
  const secret = a.slice('sk_live_'.length);
  if (secret.includes('1700000000000') || Buffer.from(secret, 'base64url').toString('latin1').includes('1700000000000')) {
    failures.push('key encodes the timestamp');
  }
} finally {
  Math.random = realRandom;
  Date.now = realNow;
}

if (failures.length) {
  console.error(failures.join('\n'));
  process.exit(1);
}
