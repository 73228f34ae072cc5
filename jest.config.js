/**
 * Unit, parser and synth tests run by `npm test`. End-to-end suites (`__tests__/e2e/`) need emulators or
 * terraform and run through `npm run test:e2e` / `npm run test:terraform` with their own, longer timeouts.
 */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/__tests__/e2e/'],
  // "ts" first: jest must never pick up a stale compiled main.js next to main.ts.
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true }] },
};
