'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { getDirectorySizeKb } = require('./solution.js');

async function main() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'treeplay-js78-'));
  try {
    fs.mkdirSync(path.join(root, 'uploads'));
    const attacks = [
      (m) => `${root}/uploads"; touch "${m}"; echo "`,
      (m) => `${root}/uploads$(touch ${m})`,
      (m) => `${root}/uploads\`touch ${m}\``,
      (m) => `${root}/uploads\\"; touch ${m}; echo \\"`,
    ];
    const failures = [];
    for (const [i, makeName] of attacks.entries()) {
      const marker = path.join(root, `pwned${i}`);
      const name = makeName(marker);
      let result;
      try {
        result = await getDirectorySizeKb(name);
      } catch (err) {
        result = err;
      }
      if (fs.existsSync(marker)) failures.push(`injected command ran for ${JSON.stringify(name)}`);
      // no directory has that literal name, so du must have failed
      if (!(result instanceof Error)) failures.push(`expected a rejection for ${JSON.stringify(name)}, got ${result}`);
    }
    return failures;
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main()
  .then((failures) => {
    if (failures.length) {
      console.error(failures.join('\n'));
      process.exit(1);
    }
  })
  .catch((e) => { console.error(e); process.exit(1); });
