import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Socket inodes a process holds open, from /proc/<pid>/fd. */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        const match = target.match(/^socket:\[(\d+)\]$/);
        if (match) inodes.add(match[1]!);
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    // process gone
  }
  return inodes;
}

/**
 * Which of the named processes owns each local TCP port (`127.0.0.1:<port>` → name), from /proc/net/tcp{,6}: tells
 * apart the Redis connections of the API, the worker and the bench itself in a MONITOR trace.
 */
export function socketOwners(pids: Record<string, number>): Map<string, string> {
  const byInode = new Map<string, string>();
  for (const [name, pid] of Object.entries(pids)) for (const inode of socketInodes(pid)) byInode.set(inode, name);
  const owners = new Map<string, string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let table = '';
    try {
      table = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of table.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      const inode = fields[9];
      if (!local || !inode) continue;
      const owner = byInode.get(inode);
      if (!owner) continue;
      const port = parseInt(local.split(':')[1] ?? '', 16);
      owners.set(`127.0.0.1:${port}`, owner);
    }
  }
  return owners;
}
