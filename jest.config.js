/**
 * Two projects, so that every suite runs exactly once under `jest` (`npm test`) and each half runs alone:
 * - unit (`npm run test:unit`): everything that does not start the emulator or its Lambda host; seconds, not minutes;
 * - e2e (`npm run test:e2e`): the suites that do, on the bundled handler (test/e2e/ and two emulator suites).
 */

/** Suites that start the emulator or its Lambda host (child processes, an emulated clock). */
const EMULATOR_DRIVEN = [
  '/test/e2e/[^/]+\\.test\\.ts$',
  '/test/emulator/lambda-and-bus\\.test\\.ts$',
  '/test/emulator/service-model\\.test\\.ts$',
];

/** @type {import('jest').Config} */
const shared = {
  testEnvironment: 'node',
  // Suites live in test/ only; emulator/ is the emulator itself (its tests are in test/emulator/).
  roots: ['<rootDir>/test'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  // The serializer the package ships for users' snapshot tests (package.json "files"): this repository's tests use it too.
  snapshotSerializers: ['<rootDir>/snapshot-serializer.js'],
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['**/*.test.ts'], testPathIgnorePatterns: ['/node_modules/', ...EMULATOR_DRIVEN] },
    { ...shared, displayName: 'e2e', testRegex: EMULATOR_DRIVEN },
  ],
  // CI has two cores: two workers; the e2e suites also run Lambda child processes, so keep it at that.
  maxWorkers: 2,
  // A loaded 2-core CI machine: cold loads (IAM data, synth) can take several seconds.
  testTimeout: 60_000,
};
