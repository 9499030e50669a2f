/** Settings earlier versions read and this one ignores, with what replaced them: a deployment that still sets one starts, warned. */
const retiredSettings: Readonly<Record<string, string>> = {
  WORKER_INTERACTIVE_SLOTS: 'interactive work has a BullMQ queue and a consumer of its own (WORKER_CONCURRENCY slots)',
  LANE_MIN_SHARE: 'each lane has its own slots (WORKER_JOB_CONCURRENCY, WORKER_BATCH_CONCURRENCY)',
};

/** The retired settings `environment` still sets, each with what replaced it. */
export function retiredSettingsIn(environment: Record<string, string | undefined>): Array<{ variable: string; replacedBy: string }> {
  return Object.entries(retiredSettings)
    .filter(([variable]) => environment[variable] !== undefined)
    .map(([variable, replacedBy]) => ({ variable, replacedBy }));
}
