/**
 * Jest snapshot serializer that masks 64-hex asset hashes (S3 keys, asset paths) as `[ASSET HASH]`, so a new release
 * of the drain handler (a new asset hash) does not churn every template snapshot. Shipped in the npm package for
 * users' own snapshot tests, and used by this repository's:
 *
 *   // jest.config.js
 *   module.exports = { snapshotSerializers: ['ecs-draining-lifecycle-hook/snapshot-serializer'] };
 *
 * Plain CommonJS with no dependencies (jsii compiles only lib/, and ignores this file). It masks every string with a
 * 64-hex run, so your own assets' hashes are masked too. Pattern from cdklabs/cdk-monitoring-constructs test/setup.
 */
const HASH = /[0-9a-f]{64}/g;
const MASK = '[ASSET HASH]';

module.exports = {
  test: (value) => typeof value === 'string' && /[0-9a-f]{64}/.test(value),
  serialize: (value, config, indentation, depth, refs, printer) =>
    printer(value.replace(HASH, MASK), config, indentation, depth, refs),
};
