import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';

/** One file of the console page, read once at start-up. */
export interface ConsoleAsset {
  body: Buffer;
  contentType: string;
}

const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** Where the page's files are: beside the bundle (dist/apps/api/console, copied by tools/build.mjs), or in the sources. */
export function consoleDirectory(): string | undefined {
  return [join(__dirname, 'console'), join(__dirname, '..', '..', 'console')].find((dir) => existsSync(join(dir, 'index.html')));
}

/** Chart.js as a browser script (its UMD build), from the installed package: served from the gateway's own origin. */
function chartScript(): ConsoleAsset | undefined {
  try {
    const file = join(dirname(require.resolve('chart.js')), 'chart.umd.min.js');
    return { body: readFileSync(file), contentType: contentTypes['.js']! };
  } catch {
    return undefined;
  }
}

/**
 * The console's files by name (`index.html`, `app.js`, …, and `chart.umd.min.js`): plain HTML, CSS and ES modules kept
 * in apps/api/console and served as they are. Undefined when the page's files are missing (a partial install).
 */
export function loadConsoleAssets(dir = consoleDirectory()): Map<string, ConsoleAsset> | undefined {
  if (dir === undefined) return undefined;
  const assets = new Map<string, ConsoleAsset>();
  for (const name of readdirSync(dir)) {
    const contentType = contentTypes[extname(name)];
    if (contentType) assets.set(name, { body: readFileSync(join(dir, name)), contentType });
  }
  const chart = chartScript();
  if (chart) assets.set('chart.umd.min.js', chart);
  return assets;
}
