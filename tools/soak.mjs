// Soak run (not part of `npm test`): bundles libs/testing/src/soak/soak-run.ts and runs it with the given arguments,
// e.g. `npm run soak -- --minutes 10 --rps 40 --fault-every 30`.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Three levels below the root, as libs/testing/src is, so that the harness finds dist/apps the same way.
const outfile = join(root, 'dist', 'tools', 'soak', 'soak-run.js');
await build({
  entryPoints: [join(root, 'libs', 'testing', 'src', 'soak', 'soak-run.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  packages: 'external',
  loader: { '.lua': 'text' },
  tsconfig: join(root, 'tsconfig.base.json'),
  logLevel: 'warning',
});
const run = spawnSync(process.execPath, [outfile, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(run.status ?? 1);
