// Runs every project's tests in one jest run (the README's test command).
module.exports = {
  projects: ['<rootDir>/apps/*/jest.config.js', '<rootDir>/libs/*/jest.config.js', '<rootDir>/tools/*/jest.config.js'],
  // Global option (ignored in project configs): integration and end-to-end suites spawn Redis and app processes.
  testTimeout: 60_000,
  // The run ends when its tests have: a connection or timer one suite leaves open must not hold CI until its deadline.
  forceExit: true,
};
