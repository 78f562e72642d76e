/**
 * Jest snapshot serializer: masks 64-hex asset hashes (S3 keys, asset paths), so editing the handler does not churn
 * every template snapshot. Pattern from cdklabs/cdk-monitoring-constructs test/setup.
 */
const HASH = /[0-9a-f]{64}/g;
const MASK = '[ASSET HASH]';

module.exports = {
  test: (value) => typeof value === 'string' && /[0-9a-f]{64}/.test(value),
  serialize: (value, config, indentation, depth, refs, printer) =>
    printer(value.replace(HASH, MASK), config, indentation, depth, refs),
};
