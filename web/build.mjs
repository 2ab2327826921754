// Builds the web app into a directory (default ../webapp/dist): one minified
// JS bundle and one stylesheet, with content hashes in their names, and
// index.html pointing at them. Deterministic, so `make web-check` can
// rebuild into a temporary directory and compare with what is committed.
//
//   node build.mjs [OUTDIR]
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(process.argv[2] || join(here, '..', 'webapp', 'dist'));
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'assets'), { recursive: true });

const result = await build({
  entryPoints: { app: join(here, 'src', 'main.js'), style: join(here, 'src', 'style.css') },
  absWorkingDir: here, // the output (and its hash) must not depend on the caller's directory
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2022'],
  outdir: join(out, 'assets'),
  entryNames: '[name]-[hash]',
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});

const names = Object.keys(result.metafile.outputs).map((p) => basename(p));
const js = names.find((n) => n.endsWith('.js'));
const css = names.find((n) => n.endsWith('.css'));
const page = readFileSync(join(here, 'src', 'index.html'), 'utf8').replace('{{JS}}', js).replace('{{CSS}}', css);
writeFileSync(join(out, 'index.html'), page);
console.log(`web: ${js}, ${css} -> ${out}`);
