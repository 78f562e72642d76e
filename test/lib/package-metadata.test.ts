/**
 * What package.json promises consumers: a Node.js version aws-cdk-lib runs on.
 */
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
