import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code lives: an npm package, a Node.js internal module, the gateway's bundle, or V8 itself. */
export function frameCategory(url: string, functionName: string): string {
  const fromPackage = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  if (fromPackage) return fromPackage[1] ?? 'npm';
  if (url.startsWith('node:')) return url.replace(/^node:(internal\/)?/, 'node:').replace(/\/.*$/, '');
  if (url.includes('/dist/')) return 'gateway';
  if (url === '') return functionName.startsWith('(') ? functionName : 'native';
  return 'other';
}

export interface ProfileSummary {
  totalMs: number;
  /** Self time by category (package, node module, gateway, GC, idle…), largest first. */
  categories: Array<{ name: string; ms: number; share: number }>;
  /** Functions by self time, largest first. */
  selfTop: Array<{ name: string; ms: number; share: number }>;
  /** Functions by inclusive time (any sample with the function on its stack), largest first. */
  inclusiveTop: Array<{ name: string; ms: number; share: number }>;
  /**
   * Native self time (socket writes, JSON, crypto…) by the nearest caller that is an npm package or the gateway:
   * which code the system calls are made for (ioredis's commands, the HTTP response, undici's upstream request).
   */
  nativeByCaller: Array<{ name: string; ms: number; share: number }>;
}

/** Self and inclusive time of a V8 `.cpuprofile` (as written by `node --cpu-prof`), idle time left out. */
export function summarizeProfile(profile: CpuProfile, top = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const key = (node: ProfileNode) => {
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url === '' ? '' : ` ${url.replace(/^.*\/(node_modules|dist)\//, '').replace(/^file:\/\//, '')}:${lineNumber + 1}`;
    return `${functionName || '(anonymous)'}${where}`;
  };
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const categories = new Map<string, number>();
  const nativeCallers = new Map<string, number>();
  let totalMs = 0;
  profile.samples.forEach((id, index) => {
    const node = byId.get(id);
    if (!node || node.callFrame.functionName === '(idle)') return;
    const ms = (profile.timeDeltas[index] ?? 0) / 1000;
    totalMs += ms;
    const name = key(node);
    self.set(name, (self.get(name) ?? 0) + ms);
    const category = frameCategory(node.callFrame.url, node.callFrame.functionName);
    categories.set(category, (categories.get(category) ?? 0) + ms);
    if (category === 'native') {
      let caller = 'native';
      for (let current = parent.get(id); current !== undefined; current = parent.get(current)) {
        const frame = byId.get(current);
        if (!frame) break;
        const where = frameCategory(frame.callFrame.url, frame.callFrame.functionName);
        if (where !== 'native' && !where.startsWith('node:') && !where.startsWith('(')) {
          caller = where;
          break;
        }
      }
      nativeCallers.set(caller, (nativeCallers.get(caller) ?? 0) + ms);
    }
    const seen = new Set<string>();
    for (let current: number | undefined = id; current !== undefined; current = parent.get(current)) {
      const frame = byId.get(current);
      if (!frame) break;
      const frameName = key(frame);
      if (seen.has(frameName) || frame.callFrame.functionName === '(root)') continue;
      seen.add(frameName);
      inclusive.set(frameName, (inclusive.get(frameName) ?? 0) + ms);
    }
  });
  const ranked = (map: Map<string, number>, limit: number) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([name, ms]) => ({ name, ms, share: totalMs > 0 ? ms / totalMs : 0 }));
  return {
    totalMs,
    categories: ranked(categories, 30),
    selfTop: ranked(self, top),
    inclusiveTop: ranked(inclusive, top),
    nativeByCaller: ranked(nativeCallers, 10),
  };
}

function renderSummary(title: string, summary: ProfileSummary): string {
  const lines = [`## ${title}: ${summary.totalMs.toFixed(0)} ms of CPU sampled (idle left out)`, '', 'self time by where the code lives:'];
  const row = (entry: { name: string; ms: number; share: number }) =>
    `  ${(entry.share * 100).toFixed(1).padStart(5)} %  ${entry.ms.toFixed(0).padStart(6)} ms  ${entry.name}`;
  lines.push(
    ...summary.categories.map(row),
    '',
    'native self time by the package or gateway code it was called for:',
    ...summary.nativeByCaller.map(row),
    '',
    'functions by self time:',
    ...summary.selfTop.map(row),
    '',
    'functions by inclusive time:',
    ...summary.inclusiveTop.map(row),
    '',
  );
  return lines.join('\n');
}

/** Summaries of every `.cpuprofile` under `dir/<role>/`, one section per role and file. */
export function summarizeProfileDir(dir: string): string {
  const sections: string[] = [];
  for (const role of readdirSync(dir).sort()) {
    let files: string[];
    try {
      files = readdirSync(join(dir, role)).filter((file) => file.endsWith('.cpuprofile'));
    } catch {
      continue;
    }
    for (const file of files) {
      const profile = JSON.parse(readFileSync(join(dir, role, file), 'utf8')) as CpuProfile;
      sections.push(renderSummary(`${role} (${file})`, summarizeProfile(profile)));
    }
  }
  return sections.join('\n');
}
