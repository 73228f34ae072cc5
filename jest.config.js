/**
 * `npm test`: unit, parser, pipeline and synth tests. swc only transpiles, file by file (tsconfig sets
 * isolatedModules, so that is sound); type-checking is `npm run typecheck`. The suites in `__tests__/e2e/` need
 * emulators, nginx or terraform and take minutes: `npm run test:e2e` and `npm run test:terraform` run them.
 */
/** @type {import('jest').Config} */
module.exports = {
  // jest's node environment without source-mapping cdktf's token stacks (see the file).
  testEnvironment: '<rootDir>/__tests__/support/environment.ts',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/__tests__/e2e/'],
  // "ts" first: jest must never pick up a stale compiled main.js next to main.ts.
  moduleFileExtensions: ['ts', 'js', 'json'],
  // swc, not ts-jest: the same output for isolated modules, transpiled several times faster (CI starts cold).
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript' },
          // No target: @swc/jest picks the running Node's, so nothing is down-levelled. Class fields are defined, as
          // tsc does for the tsconfig's ES2022 target.
          transform: { useDefineForClassFields: true },
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  // One worker per core. Jest's default (cores − 1) runs everything in band on a 2-core machine, where the suite
  // is CPU-bound: the main process only schedules, so a second worker is the other core's work.
  maxWorkers: '100%',
};
