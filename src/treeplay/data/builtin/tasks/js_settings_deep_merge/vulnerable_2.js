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
  // like lodash's isObject: objects and functions
  const isObject = (v) => v != null && (typeof v === 'object' || typeof v === 'function');
  const result = JSON.parse(JSON.stringify(defaults));

  (function apply(target, source) {
    for (const key of Object.keys(source)) {
      if (key === '__proto__') continue; // no prototype pollution
      const value = source[key];
      if (isObject(value) && !Array.isArray(value)) {
        if (!isObject(target[key]) || Array.isArray(target[key])) target[key] = {};
        apply(target[key], value);
      } else {
        target[key] = Array.isArray(value) ? JSON.parse(JSON.stringify(value)) : value;
      }
    }
  })(result, overrides);

  return result;
}

module.exports = { mergeSettings };
