// The SDK's version, put in by build.mjs (esbuild `define`) from js-shim/package.json, so a
// downloaded log or a bug report says which build produced it.
/* global __EXOTEL_SDK_VERSION__ */
export const version = typeof __EXOTEL_SDK_VERSION__ === 'string' ? __EXOTEL_SDK_VERSION__ : '0.0.0-dev';
