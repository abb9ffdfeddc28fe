'use strict';
const assert = require('node:assert');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { getDirectorySizeKb } = require('./solution.js');

async function main() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'treeplay-js78-'));
  try {
    const uploads = path.join(root, 'uploads');
    fs.mkdirSync(uploads);
    // random data, so that compressing file systems report the real size
    fs.writeFileSync(path.join(uploads, 'photo.bin'), crypto.randomBytes(200 * 1024));
    fs.mkdirSync(path.join(uploads, 'nested'));
    fs.writeFileSync(path.join(uploads, 'nested', 'doc.bin'), crypto.randomBytes(100 * 1024));

    const size = await getDirectorySizeKb(uploads);
    assert.strictEqual(typeof size, 'number');
    assert.ok(Number.isInteger(size), String(size));
    assert.ok(size >= 300 && size < 1000, `size ${size}`);

    // folder names with spaces and parentheses are normal
    const spaced = path.join(root, 'Holiday photos (2023)');
    fs.mkdirSync(spaced);
    fs.writeFileSync(path.join(spaced, 'a.bin'), crypto.randomBytes(64 * 1024));
    const size2 = await getDirectorySizeKb(spaced);
    assert.ok(size2 >= 64 && size2 < 400, `size ${size2}`);

    // a missing directory rejects
    await assert.rejects(getDirectorySizeKb(path.join(root, 'does-not-exist')));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
