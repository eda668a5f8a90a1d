/** Unit specs sit next to the code; end-to-end and integration specs under test/ use real databases. */
module.exports = {
  rootDir: '.',
  moduleFileExtensions: ['ts', 'js', 'json'],
  testEnvironment: 'node',
  testRegex: '(libs|apps|test)/.*\\.(spec|e2e-spec)\\.ts$',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  moduleNameMapper: { '^@app/([a-z-]+)(/.*)?$': '<rootDir>/libs/$1/src$2' },
  // The setup names the run (TEST_RUN_ID) for the worker databases; the teardown drops them.
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  setupFiles: ['<rootDir>/test/support/env.ts'],
  testTimeout: 120_000,
  maxWorkers: 2,
  // Coverage: `npm test` (`jest --coverage`) reports it and enforces the thresholds; a single
  // file run with `npx jest <path>` does not. Code that only runs in processes the tests spawn
  // (the entry points) is left out: V8 measures the Jest workers only.
  coverageProvider: 'v8',
  collectCoverageFrom: [
    'apps/**/*.ts',
    'libs/**/*.ts',
    '!**/*.spec.ts',
    '!**/index.ts',
    '!apps/api/src/main.ts',
    '!apps/api/src/cluster.ts',
    '!apps/cli/src/main.ts',
  ],
  coverageReporters: ['text-summary', 'json-summary', 'lcov'],
  coverageDirectory: 'coverage',
  // Overall, and per file for the slices' handlers and entities (the behaviour the product promises).
  coverageThreshold: {
    global: { lines: 80, statements: 80 },
    './libs/*/src/**/*handler*.ts': { lines: 90 },
    './libs/*/src/**/*.entity.ts': { lines: 90 },
    './libs/*/src/**/*.entities.ts': { lines: 90 },
  },
};
