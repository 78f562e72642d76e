/**
 * What package.json promises consumers: a Node.js version aws-cdk-lib runs on, and the license the package names,
 * with its text in the package.
 */
import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

const root = path.join(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const lowestMajor = (range: string) => Number(/^>=\s*(\d+)\./.exec(range)?.[1]);

test('engines.node: Node.js 20 or later, no lower than aws-cdk-lib requires', () => {
  const cdk = JSON.parse(fs.readFileSync(path.join(root, 'node_modules', 'aws-cdk-lib', 'package.json'), 'utf8'));
  expect(pkg.engines.node).toBe('>= 20.0.0');
  expect(lowestMajor(pkg.engines.node)).toBeGreaterThanOrEqual(lowestMajor(cdk.engines.node));
});

test('LICENSE holds the Apache License 2.0, unchanged, as package.json says', () => {
  expect(pkg.license).toBe('Apache-2.0');
  const text = fs.readFileSync(path.join(root, 'LICENSE'), 'utf8');
  expect(text).toMatch(/^\s*Apache License\n\s*Version 2\.0, January 2004\n\s*http:\/\/www\.apache\.org\/licenses\/\n/);
  expect(text).toContain('END OF TERMS AND CONDITIONS');
  // SHA-256 of https://www.apache.org/licenses/LICENSE-2.0.txt
  expect(crypto.createHash('sha256').update(text).digest('hex')).toBe('cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30');
});

test('the npm package ships LICENSE', () => {
  const [packed] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' }));
  expect(packed.files.map((f: { path: string }) => f.path)).toContain('LICENSE');
});
