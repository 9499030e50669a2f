// Jest transform: a text file (Lua script) becomes a module whose default export is its content.
module.exports = {
  process(source) {
    return { code: `module.exports = { __esModule: true, default: ${JSON.stringify(source)} };` };
  },
};
