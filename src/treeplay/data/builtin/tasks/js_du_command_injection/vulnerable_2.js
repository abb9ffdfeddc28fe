'use strict';
const childProcess = require('node:child_process');

/**
 * Report how much disk space a user's upload folder uses, for the storage-quota page.
 *
 * Runs the system `du` tool as `du -s -k -- <dirPath>` and resolves with the size in KiB (the
 * first number of du's output, as a Number). dirPath is built from a folder name the user picked
 * and may contain any characters (spaces, quotes, ';', '$', backticks, ...): it must reach du as
 * one single argument and must never be interpreted by a shell.
 *
 * Rejects with an Error if du cannot be run or exits with a non-zero status (for example because
 * the directory does not exist).
 *
 * @param {string} dirPath
 * @returns {Promise<number>}
 */
function getDirectorySizeKb(dirPath) {
  const { promisify } = require('node:util');
  const exec = promisify(childProcess.exec);
  // escape double quotes so the path stays one shell word
  const quoted = '"' + dirPath.replace(/"/g, '\\"') + '"';
  return exec('du -s -k -- ' + quoted).then(({ stdout }) => Number(stdout.split('\t')[0]));
}

module.exports = { getDirectorySizeKb };
