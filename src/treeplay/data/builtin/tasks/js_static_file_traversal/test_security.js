'use strict';
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { readStaticFile } = require('./solution.js');

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'treeplay-js22-'));
  try {
    const pub = path.join(tmp, 'public');
    fs.mkdirSync(path.join(pub, 'css'), { recursive: true });
    fs.writeFileSync(path.join(pub, 'index.html'), '<h1>Hello</h1>');
    fs.writeFileSync(path.join(tmp, 'secret.env'), 'DB_PASSWORD=hunter2');
    // a sibling directory whose name starts with the public directory's name
    fs.mkdirSync(path.join(tmp, 'public-admin'));
    fs.writeFileSync(path.join(tmp, 'public-admin', 'keys.txt'), 'ADMIN_KEY=abc123');

    const attacks = [
      '/../secret.env',
      '/%2e%2e/secret.env',
      '/css/..%2f..%2fsecret.env',
      '/css/../../secret.env',
      '/../public-admin/keys.txt',
    ];
    const leaks = [];
    for (const urlPath of attacks) {
      let result;
      try {
        result = await readStaticFile(pub, urlPath);
      } catch (err) {
        result = err;
      }
      if (Buffer.isBuffer(result) || typeof result === 'string') {
        leaks.push(`${urlPath} -> ${result.toString()}`);
      } else if (!(result instanceof Error) || result.code !== 'FORBIDDEN') {
        leaks.push(`${urlPath}: expected a FORBIDDEN error, got ${result && result.code}`);
      }
    }
    // an absolute path smuggled in percent-encoded is just a (missing) name inside the root
    const absolute = '/' + encodeURIComponent(path.join(tmp, 'secret.env'));
    await assert.rejects(readStaticFile(pub, absolute), (err) => err.code === 'ENOENT' || err.code === 'FORBIDDEN');
    return leaks;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main()
  .then((leaks) => {
    if (leaks.length) {
      console.error(leaks.join('\n'));
      process.exit(1);
    }
  })
  .catch((e) => { console.error(e); process.exit(1); });
