// Bundles each app (its libs included, npm packages left external) into dist/apps/<app>/main.js.
import { build } from 'esbuild';
import { cpSync, readdirSync, existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const requested = process.argv.slice(2);
const apps = requested.length > 0 ? requested : readdirSync(join(root, 'apps')).filter((app) => existsSync(join(root, 'apps', app, 'src', 'main.ts')));
// Tools bundled the same way (dist/tools/<tool>/main.js), built with the apps when no app is named.
const tools = requested.length > 0 ? [] : readdirSync(join(root, 'tools')).filter((tool) => existsSync(join(root, 'tools', tool, 'src', 'main.ts')));

const started = Date.now();
const entries = [...apps.map((app) => ['apps', app]), ...tools.map((tool) => ['tools', tool])];
await Promise.all(
  entries.map(([kind, name]) =>
    build({
      entryPoints: [join(root, kind, name, 'src', 'main.ts')],
      outfile: join(root, 'dist', kind, name, 'main.js'),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      sourcemap: true,
      packages: 'external',
      // Lua scripts (libs/*/src/lua) are bundled as strings.
      loader: { '.lua': 'text' },
      tsconfig: join(root, 'tsconfig.base.json'),
      logLevel: 'warning',
    }),
  ),
);
// Static files an app serves as they are (the API's operator console): copied beside its bundle.
for (const app of apps) {
  const source = join(root, 'apps', app, 'console');
  if (!existsSync(source)) continue;
  const target = join(root, 'dist', 'apps', app, 'console');
  rmSync(target, { recursive: true, force: true });
  cpSync(source, target, { recursive: true });
}
console.log(`built ${entries.map(([, name]) => name).join(', ')} in ${Date.now() - started} ms`);
