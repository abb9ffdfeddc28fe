'use strict';
const assert = require('node:assert');
const { isValidEmail } = require('./solution.js');

const valid = [
  'alice@example.com',
  'first.last+newsletter@mail.example.co.uk',
  'user_name%dept@sub-domain.example.org',
  'A-B@EXAMPLE.COM',
  'x@y.io',
  '1234@numbers-1.example.net',
  'a'.repeat(64) + '@' + 'b'.repeat(185) + '.com', // exactly 254 characters
];
const invalid = [
  'plainaddress',
  '@example.com',
  'alice@',
  'alice@example',
  'alice@@example.com',
  'alice@bob@example.com',
  '.alice@example.com',
  'alice.@example.com',
  'al..ice@example.com',
  'alice@example..com',
  'alice@.example.com',
  'alice@example.com.',
  'alice@example.c',
  'alice@example.c0m',
  'alice@exa mple.com',
  'alice@example.com ',
  ' alice@example.com',
  'alice!@example.com',
  'alice@exam_ple.com',
  'a'.repeat(65) + '@' + 'b'.repeat(185) + '.com', // 255 characters
  '',
];

for (const address of valid) assert.strictEqual(isValidEmail(address), true, address);
for (const address of invalid) assert.strictEqual(isValidEmail(address), false, address);
for (const value of [undefined, null, 42, {}, ['alice@example.com']]) {
  assert.strictEqual(isValidEmail(value), false, String(value));
}
