// Shared jest settings: every project's jest.config.js spreads this.
const path = require('node:path');

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }],
    // Lua scripts are imported as strings, as the app bundles do (tools/build.mjs).
    '^.+\\.lua$': path.join(__dirname, 'tools/jest-text-transform.js'),
  },
  moduleFileExtensions: ['ts', 'js', 'json', 'lua'],
  moduleNameMapper: {
    '^@gateway/([a-z-]+)$': path.join(__dirname, 'libs/$1/src/index.ts'),
  },
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  // Integration and end-to-end suites spawn Redis and app processes.
  testTimeout: 60_000,
};
