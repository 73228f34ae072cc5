/**
 * `npm test`: unit, parser, pipeline and synth tests. ts-jest only transpiles (tsconfig sets isolatedModules);
 * type-checking is `npm run typecheck`. The suites in `__tests__/e2e/` need emulators, nginx or terraform and take
 * minutes: `npm run test:e2e` and `npm run test:terraform` run them.
 */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/__tests__/e2e/'],
  // "ts" first: jest must never pick up a stale compiled main.js next to main.ts.
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  // One worker per core. Jest's default (cores − 1) runs everything in band on a 2-core machine, where the suite
  // is CPU-bound: the main process only schedules, so a second worker is the other core's work.
  maxWorkers: '100%',
};
