import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MonitoredCommand } from './redis-monitor';

const sha1 = (source: string) => createHash('sha1').update(source).digest('hex');

interface BullScriptModule {
  name: string;
  content: string;
}

/** BullMQ's own scripts (name → source), from the installed package. */
function bullmqScripts(): BullScriptModule[] {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const scripts = require('bullmq/dist/cjs/scripts/index.js') as Record<string, BullScriptModule>;
    return Object.values(scripts).filter((script) => typeof script?.content === 'string');
  } catch {
    return [];
  }
}

/** The gateway's Lua files (libs/<lib>/src/lua/*.lua under `root`): name → source. */
function gatewayLuaFiles(root: string): Array<{ name: string; content: string }> {
  const files: Array<{ name: string; content: string }> = [];
  const libs = join(root, 'libs');
  if (!existsSync(libs)) return files;
  for (const lib of readdirSync(libs)) {
    const dir = join(libs, lib, 'src', 'lua');
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir).filter((name) => name.endsWith('.lua')))
      files.push({ name: file.replace(/\.lua$/, ''), content: readFileSync(join(dir, file), 'utf8') });
  }
  return files;
}

/**
 * Names the scripts of a MONITOR trace. BullMQ's are known by the SHA-1 of their source; the gateway composes its
 * scripts from its Lua files (a helper as a local function, then the script itself), so those are named by the
 * sources the trace's EVALs carried (the bench flushes the script cache first, so every script is sent once as
 * EVAL): the Lua file the source ends with, or the fused admission gate + BullMQ add.
 */
export function scriptNamer(root: string, trace: readonly MonitoredCommand[]): (shaOrSource: string) => string {
  const bull = bullmqScripts();
  const lua = gatewayLuaFiles(root);
  const names = new Map<string, string>(bull.map((script) => [sha1(script.content), script.name]));
  const nameOfSource = (source: string): string => {
    const known = names.get(sha1(source));
    if (known) return known;
    if (source.includes('local function bullAdd(')) {
      const added = bull.find((script) => source.includes(script.content))?.name ?? 'BullMQ add';
      const gate = lua.find((file) => file.name.includes('gate') && source.includes(file.content.trim()))?.name ?? 'gate';
      return `${gate}+${added}`;
    }
    const trimmed = source.trimEnd();
    const file = lua.filter((candidate) => trimmed.endsWith(candidate.content.trimEnd())).sort((a, b) => b.content.length - a.content.length)[0];
    return file?.name ?? `script ${sha1(source).slice(0, 8)}`;
  };
  for (const { args } of trace) if ((args[0] ?? '').toLowerCase() === 'eval' && args[1]) names.set(sha1(args[1]), nameOfSource(args[1]));
  return (shaOrSource) => (/^[0-9a-f]{40}$/.test(shaOrSource) ? (names.get(shaOrSource) ?? `script ${shaOrSource.slice(0, 8)}`) : nameOfSource(shaOrSource));
}
