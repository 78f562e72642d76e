#!/usr/bin/env node
/**
 * Pre-bundles the drain handler into assets/drain-handler/index.js, so that consumers of the package never need
 * esbuild or Docker at synth time.
 *
 * @aws-sdk/* stays external: every Node.js Lambda runtime from 18 on ships AWS SDK v3, which keeps the asset small
 * (and cold starts short). The handler only uses long-stable ECS, Auto Scaling and EventBridge PutEvents operations,
 * so the runtime's SDK version is not a concern.
 */
const fs = require('fs');
const path = require('path');
const esbuild = require('esbuild');

const root = path.join(__dirname, '..');
// The Lambda runtime the construct deploys the handler on (compiled by `npm run compile`, which runs first), so the
// bundle's syntax target always matches it: nodejs24.x -> node24.
const { DrainHandlerFunction } = require(path.join(root, 'lib', 'drain-handler-function.js'));
const runtime = DrainHandlerFunction.RUNTIME.name;
const nodeMajor = /^nodejs(\d+)\.x$/.exec(runtime)?.[1];
if (!nodeMajor) throw new Error(`the handler's runtime ${runtime} is not a Node.js runtime`);
const outdir = path.join(root, 'assets', 'drain-handler');
fs.rmSync(outdir, { recursive: true, force: true });

esbuild.buildSync({
  entryPoints: [path.join(root, 'lambda', 'index.ts')],
  outfile: path.join(outdir, 'index.js'),
  bundle: true,
  platform: 'node',
  target: `node${nodeMajor}`,
  format: 'cjs',
  external: ['@aws-sdk/*'],
  minify: false,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
});
const size = fs.statSync(path.join(outdir, 'index.js')).size;
console.log(`bundled the drain handler for ${runtime}: assets/drain-handler/index.js (${(size / 1024).toFixed(1)} KiB)`);
