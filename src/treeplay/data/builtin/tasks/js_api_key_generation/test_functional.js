'use strict';
const assert = require('node:assert');
const { generateApiKey } = require('./solution.js');

const key = generateApiKey('sk_live');
assert.strictEqual(typeof key, 'string');
assert.match(key, /^sk_live_[A-Za-z0-9_-]{43}$/);

assert.match(generateApiKey('pk_test'), /^pk_test_[A-Za-z0-9_-]{43}$/);
assert.match(generateApiKey('a'), /^a_[A-Za-z0-9_-]{43}$/);
assert.match(generateApiKey('x'.repeat(16)), /^x{16}_[A-Za-z0-9_-]{43}$/);

// keys do not repeat
const seen = new Set();
for (let i = 0; i < 2000; i++) seen.add(generateApiKey('sk_live'));
assert.strictEqual(seen.size, 2000);

// the secret uses the whole alphabet, not just a few characters
const chars = new Set([...seen].join('').replace(/sk_live_/g, ''));
assert.ok(chars.size >= 60, `only ${chars.size} distinct characters`);

for (const bad of ['', 'SK_LIVE', 'sk-live', 'x'.repeat(17), 'sk live', undefined, null, 7]) {
  assert.throws(() => generateApiKey(bad), TypeError, String(bad));
}
