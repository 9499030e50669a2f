import { readFileSync } from 'node:fs';

const CLOCK_TICKS = 100;

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

/** Kernel CPU seconds (system time) a process has used so far, from /proc/<pid>/stat: its share of cpuSeconds spent in system calls (sockets here). */
export function systemSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[12]) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

/** Resident and peak resident memory in MB, from /proc/<pid>/status. */
export function memoryMb(pid: number): { rss: number; peak: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const read = (key: string) => Number(status.match(new RegExp(`${key}:\\s+(\\d+) kB`))?.[1] ?? NaN) / 1024;
    return { rss: read('VmRSS'), peak: read('VmHWM') };
  } catch {
    return { rss: NaN, peak: NaN };
  }
}

/** Snapshot of CPU seconds of several processes, to diff around a scenario. */
export function cpuSnapshot(pids: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]));
}

export function cpuDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.keys(after).map((name) => [name, (after[name] ?? 0) - (before[name] ?? 0)]));
}

/** CPU milliseconds per request (or call) of every process of a `cpuDelta`, their sum, and a note naming each. */
export function cpuPerRequest(cpu: Record<string, number>, requests: number): { totalMs: number; note: string } {
  const count = Math.max(1, requests);
  const perProcess = Object.entries(cpu).map(([name, seconds]) => [name, (seconds * 1000) / count] as const);
  return { totalMs: perProcess.reduce((sum, [, ms]) => sum + ms, 0), note: perProcess.map(([name, ms]) => `${name} ${ms.toFixed(2)}`).join(', ') };
}

/** CPU seconds and peak RSS (VmHWM, since the process started) of every process, as a note. */
export function processFootprint(cpu: Record<string, number>, pids: Record<string, number>): string {
  return Object.entries(pids)
    .map(([name, pid]) => `${name} ${(cpu[name] ?? NaN).toFixed(2)} s, peak ${memoryMb(pid).peak.toFixed(0)} MB`)
    .join('; ');
}

/** A one-line description of the machine for the report. */
export function machineDescription(): string {
  let cpu = 'unknown cpu';
  try {
    const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
    cpu = cpuinfo.match(/model name\s*:\s*(.+)/)?.[1]?.trim() ?? cpu;
    // The same model name can hide machines of very different speed: the clock tells them apart.
    const mhz = Number(cpuinfo.match(/cpu MHz\s*:\s*([\d.]+)/)?.[1]);
    if (Number.isFinite(mhz) && mhz > 0) cpu += ` at ${(mhz / 1000).toFixed(2)} GHz`;
  } catch {
    // not Linux
  }
  let cores = 0;
  try {
    cores = (readFileSync('/proc/cpuinfo', 'utf8').match(/^processor\s*:/gm) ?? []).length;
  } catch {
    cores = 0;
  }
  let memory = '';
  try {
    const kb = Number(readFileSync('/proc/meminfo', 'utf8').match(/MemTotal:\s+(\d+)/)?.[1] ?? 0);
    memory = `${Math.round(kb / 1024 / 1024)} GiB`;
  } catch {
    memory = '?';
  }
  return `${cores} cores (${cpu}), ${memory} RAM, Node.js ${process.version}`;
}

/** Read and write system calls (read/readv, write/writev: sockets included) a process has made, from /proc/<pid>/io. */
export function syscalls(pid: number): { reads: number; writes: number } {
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    return { reads: Number(io.match(/syscr:\s+(\d+)/)?.[1] ?? NaN), writes: Number(io.match(/syscw:\s+(\d+)/)?.[1] ?? NaN) };
  } catch {
    return { reads: NaN, writes: NaN };
  }
}

/** Write system calls of each process so far: diff two to count a run's writes (each one a socket write here). */
export function writeSnapshot(pids: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, syscalls(pid).writes]));
}

/** Writes per request of every process of a {@link writeSnapshot} diff, their sum, and a note naming each. */
export function writesPerRequest(before: Record<string, number>, after: Record<string, number>, requests: number): { total: number; note: string } {
  const count = Math.max(1, requests);
  const perProcess = Object.keys(after).map((name) => [name, ((after[name] ?? 0) - (before[name] ?? 0)) / count] as const);
  return {
    total: perProcess.reduce((sum, [, writes]) => sum + writes, 0),
    note: perProcess.map(([name, writes]) => `${name} ${writes.toFixed(1)}`).join(', '),
  };
}
