// Two entries: the ES import and the guide's require(). publicPath 'auto': the .wasm is found
// next to the chunk wherever the app is served.
const path = require('node:path');

module.exports = {
  mode: 'production',
  entry: { esm: './src/esm.js', cjs: './src/cjs.js' },
  output: { path: path.resolve(__dirname, 'dist'), filename: '[name].js', publicPath: 'auto', clean: true },
  devtool: 'source-map',
};
