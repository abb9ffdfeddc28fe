'use strict';

/**
 * Check the e-mail address typed into the signup form.
 *
 * An address is valid when all of these hold:
 * - it is a string of at most 254 characters;
 * - it has the form LOCAL@DOMAIN with exactly one "@";
 * - LOCAL is one or more words separated by single dots, each word made of the characters
 *   A-Z a-z 0-9 _ % + - (so no leading, trailing or doubled dot);
 * - DOMAIN is two or more labels separated by single dots, each label made of A-Z a-z 0-9 and -,
 *   and the last label consists of at least two letters only.
 *
 * Returns true or false; never throws (non-strings are simply invalid). The function runs on every
 * signup request with untrusted input, so it must answer promptly (a few milliseconds at most)
 * for any input, including strings crafted to trigger catastrophic regex backtracking.
 *
 * @param {unknown} address
 * @returns {boolean}
 */
function isValidEmail(address) {
  if (typeof address !== 'string' || address.length > 254) return false;
  // words with an optional dot after each, then a final word: no leading/trailing/double dots
  const EMAIL = /^(?:[A-Za-z0-9_%+-]+\.?)*[A-Za-z0-9_%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}$/;
  return EMAIL.test(address);
}

module.exports = { isValidEmail };
