// Bundles the portal (src/) into dist/ with esbuild: one app.js (the page's modules and
// cytoscape), app.css and index.html. Everything the page loads is in dist/, so `netpolgen serve`
// works without network access. Usage: node web/build.mjs (after `npm ci` in web/).
import { build } from 'esbuild';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');

await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });
await build({
  entryPoints: [join(here, 'src/main.js')],
  bundle: true,
  format: 'esm',
  minify: true,
  sourcemap: true,
  target: ['es2020'],
  outfile: join(dist, 'app.js'),
  legalComments: 'linked', // cytoscape's MIT notice ships next to the bundle
  logLevel: 'warning',
});
await copyFile(join(here, 'src/index.html'), join(dist, 'index.html'));
await copyFile(join(here, 'src/style.css'), join(dist, 'app.css'));
console.log(`build-web: ${dist}`);
