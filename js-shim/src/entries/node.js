// The CommonJS build (index.cjs: Node, test runners, `require`): the whole client, plus the
// feature installers, which the thin core/devices/diagnostics/multitab .cjs files re-export
// (nothing is shaken out in Node, so they all share this one bundle and its one client class).
export * from '../index.js';
export { default } from '../index.js';
export { withDevices } from './devices.js';
export { withDiagnostics } from './diagnostics.js';
export { withMultiTab } from './multitab.js';
