/**
 * The npm package works for a consumer: `npm pack` ships the compiled lib, the pre-bundled handler and the snapshot
 * serializer, and a separate project that installs the tarball synthesizes a stack with the construct, with no
 * esbuild and no Docker, and masks the handler's asset hash in its own snapshots with the shipped serializer.
 * Needs the npm registry (or the npm cache) for aws-cdk-lib and constructs, as `npm ci` does.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
// Jest's own snapshot printer (a dependency of jest): what a consumer's jest runs the serializer in.
import { format } from 'pretty-format';

const root = path.join(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const npm = (args: string[], cwd: string) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

jest.setTimeout(180_000);

let work: string;
let tarball: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'edlh-pack-'));
  const name = npm(['pack', '--ignore-scripts', '--pack-destination', work], root).trim().split('\n').pop()!;
  tarball = path.join(work, name);
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

test('the tarball holds the compiled lib, its types, the bundled handler and the snapshot serializer, and no sources or tests', () => {
  const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n').map((f) => f.replace(/^package\//, ''));
  expect(files).toEqual(expect.arrayContaining([
    'lib/index.js', 'lib/index.d.ts', 'lib/draining-lifecycle-hook.js', 'lib/draining-lifecycle-hook.d.ts',
    'assets/drain-handler/index.js', 'README.md', 'LICENSE', 'package.json', 'snapshot-serializer.js',
  ]));
  expect(files.filter((f) => /^(lambda|emulator|test|examples|bench|scripts)\/|\.ts$/.test(f) && !f.endsWith('.d.ts'))).toEqual([]);
});

/** A separate project with the tarball installed, and the output of its app, which synthesizes the construct. */
let consumer: string;
let appOutput: string;
beforeAll(() => {
  consumer = path.join(work, 'consumer');
  fs.mkdirSync(consumer);
  fs.writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  fs.writeFileSync(path.join(consumer, 'app.js'), `
const { App, Stack } = require('aws-cdk-lib');
const autoscaling = require('aws-cdk-lib/aws-autoscaling');
const ecs = require('aws-cdk-lib/aws-ecs');
const { DrainingLifecycleHook } = require('ecs-draining-lifecycle-hook');
const app = new App({ outdir: 'cdk.out' });
const stack = new Stack(app, 'Consumer');
new DrainingLifecycleHook(stack, 'Drain', {
  autoScalingGroup: autoscaling.AutoScalingGroup.fromAutoScalingGroupName(stack, 'Asg', 'my-asg'),
  cluster: ecs.Cluster.fromClusterArn(stack, 'Cluster', 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod'),
});
const t = app.synth().getStackByName('Consumer').template;
const fn = Object.values(t.Resources).find((r) => r.Type === 'AWS::Lambda::Function');
process.stdout.write(JSON.stringify({ runtime: fn.Properties.Runtime, handler: fn.Properties.Handler }));
`);
  npm(['install', '--no-audit', '--no-fund', '--prefer-offline',
    `aws-cdk-lib@${pkg.devDependencies['aws-cdk-lib']}`, `constructs@${pkg.devDependencies.constructs}`, tarball], consumer);
  appOutput = execFileSync(process.execPath, ['app.js'], { cwd: consumer, encoding: 'utf8' });
});

test('a consumer project synthesizes from the tarball without esbuild', () => {
  expect(fs.existsSync(path.join(consumer, 'node_modules', 'esbuild'))).toBe(false);
  expect(JSON.parse(appOutput)).toEqual({ runtime: 'nodejs24.x', handler: 'index.handler' });
  const assets = fs.readdirSync(path.join(consumer, 'cdk.out')).filter((f) => f.startsWith('asset.'));
  expect(assets.map((a) => fs.existsSync(path.join(consumer, 'cdk.out', a, 'index.js')))).toEqual([true]);
});

test('the shipped serializer resolves by its package path from the consumer, and masks the handler\'s asset hash in jest\'s printer', () => {
  // What `snapshotSerializers: ['ecs-draining-lifecycle-hook/snapshot-serializer']` resolves, from the consumer's root.
  const serializerPath = require.resolve('ecs-draining-lifecycle-hook/snapshot-serializer', { paths: [consumer] });
  expect(serializerPath).toBe(fs.realpathSync(path.join(consumer, 'node_modules', 'ecs-draining-lifecycle-hook', 'snapshot-serializer.js')));
  const serializer = require(serializerPath);

  const template = JSON.parse(fs.readFileSync(path.join(consumer, 'cdk.out', 'Consumer.template.json'), 'utf8'));
  const fn: any = Object.values(template.Resources).find((r: any) => r.Type === 'AWS::Lambda::Function');
  expect(fn.Properties.Code.S3Key).toMatch(/^[0-9a-f]{64}\.zip$/);
  const snapshot = format(template, { plugins: [serializer] });
  expect(snapshot).toContain('"S3Key": "[ASSET HASH].zip"');
  expect(snapshot).not.toMatch(/[0-9a-f]{64}/);
});
