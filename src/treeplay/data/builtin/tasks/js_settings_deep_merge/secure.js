'use strict';

/**
 * Combine the application's default settings with the JSON preferences a user uploaded.
 *
 * Returns a new object; neither argument is modified. Keys of overrides are applied on top of
 * defaults recursively: when both sides hold a plain object (not an array, not null) under the
 * same key, the two objects are merged the same way; in every other case the value from
 * overrides replaces the default (arrays are replaced, not concatenated). The returned object
 * and all nested objects in it are fresh copies (no object is shared with either input).
 *
 * overrides comes from JSON.parse of user input and may contain any keys. The keys
 * "__proto__", "constructor" and "prototype" are skipped at every level, so a settings file can
 * never change the prototype of the result or of any other object.
 *
 * @param {object} defaults
 * @param {object} overrides
 * @returns {object}
 */
function mergeSettings(defaults, overrides) {
  const SKIPPED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
  const isPlainObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

  function copy(value) {
    if (Array.isArray(value)) return value.map(copy);
    if (isPlainObject(value)) return merge({}, value);
    return value;
  }

  function merge(target, source) {
    for (const key of Object.keys(source)) {
      if (SKIPPED_KEYS.has(key)) continue;
      const value = source[key];
      const current = Object.prototype.hasOwnProperty.call(target, key) ? target[key] : undefined;
      if (isPlainObject(value) && isPlainObject(current)) {
        merge(current, value);
      } else {
        target[key] = copy(value);
      }
    }
    return target;
  }

  return merge(merge({}, defaults), overrides);
}

module.exports = { mergeSettings };
