'use strict';
const { mergeSettings } = require('./solution.js');

const failures = [];

// Run one attack, report any pollution, then undo it so the next check starts clean.
function attack(label, defaults, json, check) {
  let result;
  try {
    result = mergeSettings(defaults, JSON.parse(json));
  } catch (err) {
    failures.push(`${label}: threw ${err}`);
  }
  for (const key of ['polluted', 'isAdmin']) {
    if (({})[key] !== undefined) failures.push(`${label}: Object.prototype.${key} was set`);
    delete Object.prototype[key];
  }
  if (result !== undefined) {
    if (Object.getPrototypeOf(result) !== Object.prototype) failures.push(`${label}: prototype of result changed`);
    if (check) check(result, (msg) => failures.push(`${label}: ${msg}`));
  }
}

attack('__proto__ at top level', { theme: 'light' }, '{"__proto__": {"polluted": true}, "theme": "dark"}',
  (result, fail) => {
    if (result.polluted !== undefined) fail('result.polluted is set');
    if (result.theme !== 'dark') fail('legitimate key next to the attack was not applied');
  });

attack('constructor.prototype', { theme: 'light' }, '{"constructor": {"prototype": {"polluted": true}}}');

attack('nested __proto__', { ui: { theme: 'light' } }, '{"ui": {"__proto__": {"isAdmin": true}, "theme": "dark"}}',
  (result, fail) => {
    if (result.ui.isAdmin !== undefined) fail('result.ui.isAdmin is set');
    if (result.ui.theme !== 'dark') fail('legitimate nested key was not applied');
  });

attack('nested constructor.prototype', { ui: {} }, '{"ui": {"constructor": {"prototype": {"isAdmin": true}}}}');

if (failures.length) {
  console.error(failures.join('\n'));
  process.exit(1);
}
