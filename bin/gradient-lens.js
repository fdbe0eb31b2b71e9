#!/usr/bin/env node
'use strict';
// Ctrl-C / SIGTERM while the bundle loads: exit 130 / 143 as the CLI's own handlers do. main() adds its
// handlers before it removes these, so a signal that arrives meanwhile is never lost (removing the last
// listener of a signal would drop one that is pending).
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));
const path = require('node:path');
const fs = require('node:fs');
const cli = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(cli)) {
  process.stderr.write('gradient-lens: dist/cli.js is missing; run `npm run build` (npm ci does it) first\n');
  process.exit(2);
}
require(cli).main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
