module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'cursor-adapter',
  rootDir: __dirname,
};
