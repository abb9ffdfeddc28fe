'use strict';
const crypto = require('node:crypto');

/**
 * Create a new API key for the developer dashboard.
 *
 * The key is `${prefix}_${secret}` where secret is 43 characters from the base64url alphabet
 * (A-Z a-z 0-9 - _), encoding 256 bits of randomness. The key is a bearer credential: anyone
 * who can predict it can call the API as the user, so secret must come from a cryptographically
 * secure random source and must not be derivable from the time, a counter or Math.random().
 *
 * prefix identifies the key type (e.g. "sk_live", "pk_test"); it must be a non-empty string of
 * lowercase letters, digits and "_" of at most 16 characters, otherwise a TypeError is thrown.
 *
 * @param {string} prefix
 * @returns {string}
 */
function generateApiKey(prefix) {
  if (typeof prefix !== 'string' || !/^[a-z0-9_]{1,16}$/.test(prefix)) {
    throw new TypeError('prefix must be 1-16 characters of a-z, 0-9 and _');
  }
  // hash a unique seed so the key looks random and cannot be reversed
  const seed = `${prefix}:${Date.now()}:${Math.random()}`;
  const secret = crypto.createHash('sha256').update(seed).digest('base64url');
  return `${prefix}_${secret}`;
}

module.exports = { generateApiKey };
