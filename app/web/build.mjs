// Builds the console into dist/: dist/index.html and dist/assets/app.{js,css}
// (OpenLayers and the console's own code and styles, bundled and minified by
// esbuild). No network access at run time: everything is served by weipian.
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, rmSync, readdirSync } from 'node:fs';

const out = 'dist';
for (const f of readdirSync(out, { withFileTypes: true })) {
  if (f.name !== '.gitkeep') rmSync(`${out}/${f.name}`, { recursive: true, force: true });
}
mkdirSync(`${out}/assets`, { recursive: true });
await esbuild.build({
  entryPoints: { app: 'src/main.js' },
  bundle: true,
  minify: true,
  sourcemap: false,
  format: 'esm',
  target: ['chrome90', 'safari15', 'firefox90', 'edge90'],
  outdir: `${out}/assets`,
  legalComments: 'linked',
  logLevel: 'warning',
});
copyFileSync('src/index.html', `${out}/index.html`);
// OpenLayers is BSD-2-Clause: its notice goes with the bundle.
copyFileSync('node_modules/ol/LICENSE.md', `${out}/assets/LICENSE-openlayers.txt`);
console.log('console built into app/web/dist');
