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
    fs.mkdirSync(path.join(pub, 'img'));
    fs.writeFileSync(path.join(pub, 'index.html'), '<h1>Hello</h1>');
    fs.writeFileSync(path.join(pub, 'css', 'site.css'), 'body { margin: 0 }');
    fs.writeFileSync(path.join(pub, 'img', 'team photo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    fs.writeFileSync(path.join(pub, 'v1..2-notes.txt'), 'notes');

    const html = await readStaticFile(pub, '/index.html');
    assert.ok(Buffer.isBuffer(html));
    assert.strictEqual(html.toString(), '<h1>Hello</h1>');
    assert.strictEqual((await readStaticFile(pub, '/css/site.css')).toString(), 'body { margin: 0 }');
    assert.deepStrictEqual(await readStaticFile(pub, '/img/team%20photo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    assert.strictEqual((await readStaticFile(pub, '//css//site.css')).toString(), 'body { margin: 0 }');
    assert.strictEqual((await readStaticFile(pub, 'css/site.css')).toString(), 'body { margin: 0 }');
    // '..' that stays inside the public directory is fine, and so are dots inside a name
    assert.strictEqual((await readStaticFile(pub, '/css/../index.html')).toString(), '<h1>Hello</h1>');
    assert.strictEqual((await readStaticFile(pub, '/v1..2-notes.txt')).toString(), 'notes');
    // a relative root works too
    const relRoot = path.relative(process.cwd(), pub);
    assert.strictEqual((await readStaticFile(relRoot, '/index.html')).toString(), '<h1>Hello</h1>');

    await assert.rejects(readStaticFile(pub, '/missing.js'), { code: 'ENOENT' });
    await assert.rejects(readStaticFile(pub, '/bad%E0%A4%A.css'), URIError);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
