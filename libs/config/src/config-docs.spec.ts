import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { envSchema } from './config-shape';
import { cursorAdapterEnvSchema } from './cursor-adapter-config';

const repositoryRoot = join(__dirname, '..', '..', '..');

/** The variables a reference page documents: every `UPPER_CASE` name in the first column of its tables. */
function documentedVariables(page: string): Set<string> {
  const text = readFileSync(join(repositoryRoot, page), 'utf8');
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const firstCell = /^\|([^|]*)\|/.exec(line)?.[1] ?? '';
    for (const match of firstCell.matchAll(/`([A-Z][A-Z0-9_]+)`/g)) names.add(match[1] ?? '');
  }
  return names;
}

function difference(left: Iterable<string>, right: Set<string>): string[] {
  return [...left].filter((name) => !right.has(name)).sort();
}

describe('the configuration reference agrees with the schemas that parse the environment', () => {
  // Read by the apps but set by the platform or the test harness, not by an operator: not in the table.
  const undocumented = new Set(['NODE_ENV']);

  it('docs/CONFIGURATION.md has a row for every variable of the gateway, and no row for one it does not read', () => {
    const documented = documentedVariables('docs/CONFIGURATION.md');
    const parsed = new Set(Object.keys(envSchema.shape));
    expect(difference(parsed, new Set([...documented, ...undocumented]))).toEqual([]);
    expect(difference(documented, parsed)).toEqual([]);
  });

  it('docs/cursor-adapter.md has a row for every variable of the Cursor adapter, and no row for one it does not read', () => {
    const documented = documentedVariables('docs/cursor-adapter.md');
    const parsed = new Set(Object.keys(cursorAdapterEnvSchema.shape));
    expect(difference(parsed, documented)).toEqual([]);
    expect(difference(documented, parsed)).toEqual([]);
  });
});
