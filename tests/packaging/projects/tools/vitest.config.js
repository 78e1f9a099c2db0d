import { defineConfig } from 'vitest/config';

// An app's unit tests in jsdom, the SDK not mocked.
export default defineConfig({ test: { environment: 'jsdom', include: ['vitest/**/*.test.js'] } });
