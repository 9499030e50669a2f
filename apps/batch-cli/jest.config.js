module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'batch-cli',
  rootDir: __dirname,
};
