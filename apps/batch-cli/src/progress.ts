/** A one-line progress bar: `[#####-----]  512/1000  51%  completed 500  failed 12`. */
export function progressLine(counts: Record<string, number>, total: number, width = 30): string {
  const finished = (counts['completed'] ?? 0) + (counts['failed'] ?? 0) + (counts['cancelled'] ?? 0) + (counts['expired'] ?? 0);
  const ratio = total > 0 ? finished / total : 1;
  const filled = Math.round(ratio * width);
  const parts = ['completed', 'failed', 'cancelled', 'expired', 'active', 'queued']
    .filter((status) => (counts[status] ?? 0) > 0)
    .map((status) => `${status} ${counts[status]}`);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(finished).padStart(String(total).length)}/${total} ${String(Math.floor(ratio * 100)).padStart(3)}%  ${parts.join('  ')}`;
}
