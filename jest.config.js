const jestJupyterLab = require('@jupyterlab/testing/lib/jest-config');

// ES modules that Jest must transform, as JupyterLab 4.6 ships them.
const esModules = [
  '@codemirror',
  '@marijn',
  '@microsoft',
  '@jupyter/react-components',
  '@jupyter/web-components',
  '@jupyter/ydoc',
  '@jupyterlab/',
  'color',
  'exenv-es6',
  'lib0',
  'marked',
  'nanoid',
  'vscode-ws-jsonrpc',
  'y-protocols',
  'y-websocket',
  'yjs'
].join('|');

const baseConfig = jestJupyterLab(__dirname);

module.exports = {
  ...baseConfig,
  automock: false,
  collectCoverageFrom: [
    'src/**/*.{ts,tsx}',
    '!src/**/*.d.ts',
    '!src/**/.ipynb_checkpoints/*'
  ],
  coverageReporters: ['lcov', 'text'],
  // jest-junit and the github-actions reporter are CI extras; keep the console one.
  reporters: ['default'],
  modulePathIgnorePatterns: [
    '<rootDir>/jupyterlab_aml/labextension',
    '<rootDir>/ui-tests',
    '<rootDir>/.venv'
  ],
  testRegex: 'src/__tests__/.*\\.spec\\.ts$',
  transformIgnorePatterns: [`/node_modules/(?!${esModules}).+`]
};
