/**
 * The supported aws-cdk-lib range is tested at both ends (docs/compatibility.md): the unit project runs on the
 * `aws-cdk-lib` devDependency (the newest end), the aws-cdk-lib-min project runs the construct's suites again on the
 * `aws-cdk-lib-min` alias (the lowest end, the peer range's lower bound). This suite runs in both, and fails when a
 * project does not load the version it is meant to test, or when the alias and the peer range drift apart.
 */
import * as fs from 'fs';
import * as path from 'path';
import { importedStack } from './lib/fixtures';

/** Set by jest.config.js for each project. */
declare const AWS_CDK_LIB_END: 'newest' | 'lowest';

const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'));
const lowerBound = /^\^(2\.\d+\.\d+)$/.exec(pkg.peerDependencies['aws-cdk-lib'])?.[1];
const lowest = /^npm:aws-cdk-lib@(2\.\d+\.\d+)$/.exec(pkg.devDependencies['aws-cdk-lib-min'])?.[1];
const newest = /^(2\.\d+\.\d+)$/.exec(pkg.devDependencies['aws-cdk-lib'])?.[1];

test('the peer range is a caret range whose lower bound is the lowest tested version; both devDependencies are exact', () => {
  expect(lowerBound).toBeDefined();
  expect(lowest).toBe(lowerBound);
  expect(newest).toBeDefined();
  const [lowMinor, newMinor] = [lowest, newest].map((v) => Number(v!.split('.')[1]));
  expect(lowMinor).toBeLessThanOrEqual(newMinor);
});

test(`this project (${AWS_CDK_LIB_END} end) loads the aws-cdk-lib it is meant to test, for every submodule`, () => {
  const expected = AWS_CDK_LIB_END === 'lowest' ? lowest : newest;
  expect(require('aws-cdk-lib/package.json').version).toBe(expected);
  // The construct's own imports resolve the same way: its handler is a function of the loaded aws-cdk-lib.
  const { App, Stack } = require('aws-cdk-lib');
  const lambda = require('aws-cdk-lib/aws-lambda');
  expect(require.resolve('aws-cdk-lib/aws-lambda')).toContain(`${path.sep}${AWS_CDK_LIB_END === 'lowest' ? 'aws-cdk-lib-min' : 'aws-cdk-lib'}${path.sep}`);
  const { hook } = importedStack();
  expect(hook.handler).toBeInstanceOf(lambda.Function);
  expect(Stack.of(hook)).toBeInstanceOf(Stack);
  expect(hook.node.root).toBeInstanceOf(App);
});
