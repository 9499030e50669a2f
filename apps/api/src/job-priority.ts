/**
 * The BullMQ priorities a caller may ask for with `priority`: 1 (soonest) to 1000. Work without a priority
 * (every interactive call, and jobs and batches that ask none) is served first, by BullMQ's design; prioritized
 * jobs come after it, lower numbers sooner. Asked values beyond the range are clamped to it.
 */
export const callerPriorityRange = { min: 1, max: 1000 } as const;

/** What kind of work a request makes: interactive calls are answered while their caller waits. */
export type WorkKind = 'interactive' | 'job' | 'batch';

/**
 * The priority a job is enqueued with. Interactive routes ignore the field: a priority would only move a call
 * behind un-prioritized work, and the gateway keeps interactive calls ahead. Jobs and batch requests get theirs,
 * clamped to `callerPriorityRange` (a scheduling of lanes is for later; this keeps the caller's choice bounded).
 */
export function jobPriority(kind: WorkKind, requested: number | undefined): number | undefined {
  if (kind === 'interactive' || requested === undefined) return undefined;
  return Math.min(callerPriorityRange.max, Math.max(callerPriorityRange.min, Math.trunc(requested)));
}
