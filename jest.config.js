/**
 * Three projects, so that each part runs alone; `npm test` runs unit and aws-cdk-lib-min, then e2e on its own:
 * - unit (`npm run test:unit`): everything that does not start the emulator or its Lambda host; seconds, not minutes;
 * - e2e (`npm run test:e2e`): the suites that do, on the bundled handler (test/e2e/ and two emulator suites);
 * - aws-cdk-lib-min (`npm run test:aws-cdk-lib-min`): the construct's suites again, on the lowest supported aws-cdk-lib.
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

/**
 * The construct's suites that run a second time against the lowest aws-cdk-lib of the peer range (package.json
 * `peerDependencies`), installed as the alias `aws-cdk-lib-min`; the other projects use the newest tested one, the
 * `aws-cdk-lib` devDependency. They cover every aws-cdk-lib API the construct calls and what the README promises
 * (acknowledging warnings, the single drain hook of forCapacityProvider, the synthesized templates: the same
 * snapshots). Left out, as they test the template against CloudFormation and IAM rather than aws-cdk-lib: cfn-lint,
 * the IAM simulation, the package metadata. See docs/compatibility.md.
 */
const LOWEST_AWS_CDK_LIB = [
  '/test/aws-cdk-lib-range\\.test\\.ts$',
  '/test/lib/(construct|coexistence|capacity-provider|validation|dead-letter-queue|nag|retention)\\.test\\.ts$',
  '/test/examples/example-stack\\.test\\.ts$',
];

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      ...shared, displayName: 'unit', testMatch: ['**/*.test.ts'], testPathIgnorePatterns: ['/node_modules/', ...EMULATOR_DRIVEN],
      globals: { AWS_CDK_LIB_END: 'newest' },
    },
    { ...shared, displayName: 'e2e', testRegex: EMULATOR_DRIVEN },
    {
      ...shared,
      displayName: 'aws-cdk-lib-min',
      testRegex: LOWEST_AWS_CDK_LIB,
      // Every import of aws-cdk-lib, the construct's, the tests' and cdk-nag's, gets the lowest version.
      moduleNameMapper: { '^aws-cdk-lib(/.*)?$': '<rootDir>/node_modules/aws-cdk-lib-min$1' },
      globals: { AWS_CDK_LIB_END: 'lowest' },
    },
  ],
  // CI has two cores: two workers for the suites that compute (synthesis, jsii, cfn-lint). `npm test` runs the e2e
  // project after them, alone, with four (`npm run test:e2e:run`): those suites mostly wait on the emulated clock (a
  // 2-worker run kept the two cores 85 % idle), and running them apart from the computing suites keeps their timing
  // out of the contention.
  maxWorkers: 2,
  // A loaded 2-core CI machine: cold loads (IAM data, synth) can take several seconds.
  testTimeout: 60_000,
};
