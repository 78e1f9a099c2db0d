// Nothing SDK-specific: the package must work with Next's defaults (Turbopack, StrictMode).
export default {};
