'use strict';
const assert = require('node:assert');
const { mergeSettings } = require('./solution.js');

function makeDefaults() {
  return {
    theme: 'light',
    editor: { fontSize: 12, tabSize: 2, keymap: { save: 'Ctrl+S', quit: 'Ctrl+Q' } },
    plugins: ['git', 'spell'],
    telemetry: { enabled: true },
    language: null,
  };
}

// recursive merge, arrays replaced, scalars override
{
  const defaults = makeDefaults();
  const overrides = JSON.parse(`{
    "editor": {"fontSize": 14, "keymap": {"save": "Cmd+S", "find": "Cmd+F"}},
    "plugins": ["lint"],
    "telemetry": false,
    "language": {"code": "de"},
    "newKey": [1, {"a": 2}]
  }`);
  const result = mergeSettings(defaults, overrides);
  assert.deepStrictEqual(result, {
    theme: 'light',
    editor: { fontSize: 14, tabSize: 2, keymap: { save: 'Cmd+S', quit: 'Ctrl+Q', find: 'Cmd+F' } },
    plugins: ['lint'],
    telemetry: false,
    language: { code: 'de' },
    newKey: [1, { a: 2 }],
  });

  // inputs untouched
  assert.deepStrictEqual(defaults, makeDefaults());
  assert.deepStrictEqual(overrides.editor, { fontSize: 14, keymap: { save: 'Cmd+S', find: 'Cmd+F' } });

  // nothing shared with the inputs
  assert.notStrictEqual(result.editor, defaults.editor);
  assert.notStrictEqual(result.editor.keymap, defaults.editor.keymap);
  assert.notStrictEqual(result.editor.keymap, overrides.editor.keymap);
  assert.notStrictEqual(result.plugins, overrides.plugins);
  assert.notStrictEqual(result.language, overrides.language);
  result.editor.keymap.save = 'changed';
  result.plugins.push('x');
  result.language.code = 'fr';
  assert.strictEqual(defaults.editor.keymap.save, 'Ctrl+S');
  assert.strictEqual(overrides.editor.keymap.save, 'Cmd+S');
  assert.deepStrictEqual(overrides.plugins, ['lint']);
  assert.strictEqual(overrides.language.code, 'de');
}

// null replaces an object, an object replaces a scalar
assert.deepStrictEqual(mergeSettings({ a: { b: 1 }, c: 3 }, { a: null, c: { d: 4 } }), { a: null, c: { d: 4 } });

// empty overrides give an independent copy of the defaults
{
  const defaults = makeDefaults();
  const result = mergeSettings(defaults, {});
  assert.deepStrictEqual(result, makeDefaults());
  assert.notStrictEqual(result, defaults);
  assert.notStrictEqual(result.editor, defaults.editor);
  assert.notStrictEqual(result.plugins, defaults.plugins);
}

// the result is an ordinary object
assert.strictEqual(Object.getPrototypeOf(mergeSettings({}, { x: 1 })), Object.prototype);
