// Prints what each consumer project ships (written by the packaging tests' recordSizes).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../.cache/packaging/sizes');
const rows = fs.existsSync(dir) ? fs.readdirSync(dir).map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'))) : [];
if (rows.length) {
  const head = ['shipped by', 'files', 'JS raw', 'JS brotli', 'wasm raw', 'all brotli'];
  const body = rows.map((r) => [r.label, r.files, r.js, r.jsBrotli, r.wasm, r.brotli].map(String));
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => (i ? c.padStart(w[i]) : c.padEnd(w[i]))).join(' | ')} |`;
  console.log(['', line(head), `|${w.map((n, i) => (i ? `${'-'.repeat(n + 1)}:` : '-'.repeat(n + 2))).join('|')}|`, ...body.map(line), ''].join('\n'));
}
