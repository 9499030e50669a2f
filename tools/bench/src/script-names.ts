import { createHash } from 'node:crypto';
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

/**
 * Names the scripts of a MONITOR trace. BullMQ's are known by the SHA-1 of their source; the gateway's scripts are
 * composed at load time (their includes resolved), so those are named by the sources the trace's EVALs carried (the
 * bench flushes the script cache first, so every script is sent once as EVAL): each opens with its file's header,
 * `-- <name>.lua: …`, and a gate fused with BullMQ's add carries BullMQ's script too.
 */
export function scriptNamer(_root: string, trace: readonly MonitoredCommand[]): (shaOrSource: string) => string {
  const bull = bullmqScripts();
  const names = new Map<string, string>(bull.map((script) => [sha1(script.content), script.name]));
  const nameOfSource = (source: string): string => {
    const known = names.get(sha1(source));
    if (known) return known;
    const file = /^-- ([a-z0-9-]+)\.lua:/.exec(source)?.[1];
    if (file && source.includes('local function bullAdd(')) return `${file}+${bull.find((script) => source.includes(script.content))?.name ?? 'BullMQ add'}`;
    return file ?? `script ${sha1(source).slice(0, 8)}`;
  };
  for (const { args } of trace) if ((args[0] ?? '').toLowerCase() === 'eval' && args[1]) names.set(sha1(args[1]), nameOfSource(args[1]));
  return (shaOrSource) => (/^[0-9a-f]{40}$/.test(shaOrSource) ? (names.get(shaOrSource) ?? `script ${shaOrSource.slice(0, 8)}`) : nameOfSource(shaOrSource));
}
