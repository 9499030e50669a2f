export { createLogger } from './logger';
export { redactFields } from './field-redaction';
export type { Logger, LoggerOptions } from './logger';
export { createMetrics } from './metrics';
export type { Metrics } from './metrics';
export type { QueueDepthSource } from './queue-depth';
export type { LaneBacklogReading, LaneBacklogSource } from './lane-backlog-source';
export { createBoundedLabel } from './bounded-label';
export { createSecretScrubber } from './secret-scrubber';
