import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const repositoryRoot = join(__dirname, '..', '..', '..');
const catalogue = new Set(['libs/contracts/src/error-catalogue.ts', 'libs/contracts/src/error-catalogue-upstream.ts']);

/** Every TypeScript file of the apps and libs, tests and the catalogue left out. */
function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name === 'dist' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

describe('error catalogue', () => {
  it('is the one place a GatewayError is constructed (tests aside)', () => {
    const files = ['apps', 'libs'].flatMap((top) => sourceFiles(join(repositoryRoot, top)));
    expect(files.length).toBeGreaterThan(100);
    const outside = files
      .map((file) => relative(repositoryRoot, file).split('\\').join('/'))
      .filter((file) => !catalogue.has(file) && readFileSync(join(repositoryRoot, file), 'utf8').includes('new GatewayError('));
    expect(outside).toEqual([]);
  });
});
