import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** The repository's root (specs read the files the operators deploy). */
export const repoRoot = join(__dirname, '..', '..', '..', '..');

/** Whether a command is on PATH. */
export function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/**
 * `describe` when `command` is installed; otherwise the suite is skipped with a plain message, except in CI
 * (`CI=true`) for a tool its script installs (`installedInCi`): there a missing tool fails the run instead of
 * passing it silently.
 */
export function describeWithTool(command: string, name: string, body: () => void, options: { installedInCi: boolean }): void {
  if (onPath(command)) {
    describe(name, body);
    return;
  }
  if (options.installedInCi && process.env['CI'] === 'true') {
    describe(name, () => {
      it(`needs ${command}, which .ci/run installs`, () => {
        throw new Error(`${command} is not installed`);
      });
    });
    return;
  }
  process.stdout.write(`skipped "${name}": ${command} is not installed\n`);
  describe.skip(name, body);
}

/** Runs a command; returns its exit status and everything it printed. */
export function run(command: string, args: readonly string[], cwd = repoRoot): { status: number; output: string } {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  return { status: result.status ?? -1, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

/** Runs a command and returns its standard output (throws with its output when it fails). */
export function output(command: string, args: readonly string[], cwd = repoRoot): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
}
