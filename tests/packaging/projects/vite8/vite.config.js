import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Three pages: the guide's code (index.html), the lean entry (lean.html) and a React
// StrictMode app (react.html).
export default defineConfig({
  plugins: [react()],
  build: { rollupOptions: { input: { index: 'index.html', lean: 'lean.html', react: 'react.html' } } },
});
