/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // Suites live in test/ only; emulator/ is the emulator itself (its tests are in test/emulator/).
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  snapshotSerializers: ['<rootDir>/test/asset-hash-serializer.js'],
  // CI has two cores: two workers; the e2e suites also run Lambda child processes, so keep it at that.
  maxWorkers: 2,
  // A loaded 2-core CI machine: cold loads (IAM data, synth) can take several seconds.
  testTimeout: 60_000,
};
