'use strict';
const fs = require('node:fs/promises');
const path = require('node:path');

/**
 * Read a static asset for the web server's GET handler.
 *
 * rootDir is the trusted public directory. urlPath is the path part of the request URL as sent
 * by the client, e.g. "/css/site.css" or "/img/team%20photo.png": percent-escapes are decoded
 * (decodeURIComponent), leading "/" characters are removed, and the rest is resolved relative to
 * rootDir.
 *
 * Resolves with the file's contents as a Buffer. Rejects with an Error whose `code` is
 * 'FORBIDDEN', without touching the file system, if the resolved path is not rootDir itself or
 * inside it (e.g. "/../secret", "/%2e%2e/secret", "/a/../../secret"). Otherwise rejects with the
 * error from decoding or from reading the file (e.g. code 'ENOENT').
 *
 * @param {string} rootDir
 * @param {string} urlPath
 * @returns {Promise<Buffer>}
 */
async function readStaticFile(rootDir, urlPath) {
  const root = path.resolve(rootDir);
  const target = path.resolve(root, decodeURIComponent(urlPath).replace(/^\/+/, ''));
  if (!target.startsWith(root)) {
    const err = new Error('forbidden');
    err.code = 'FORBIDDEN';
    throw err;
  }
  return fs.readFile(target);
}

module.exports = { readStaticFile };
