#!/usr/bin/env node
// Removes build outputs: compiled lib/*.js and *.d.ts, the bundled handler, cdk.out.
const fs = require('fs');
const path = require('path');
const root = path.join(__dirname, '..');
function walk(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(p);
    else if (/\.(js|d\.ts)$/.test(entry.name) && !entry.name.endsWith('.config.js')) fs.rmSync(p);
  }
}
walk(path.join(root, 'lib'));
for (const d of ['assets', 'cdk.out', '.jsii']) fs.rmSync(path.join(root, d), { recursive: true, force: true });
