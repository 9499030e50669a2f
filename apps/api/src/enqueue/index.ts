export { createEnqueueService } from './enqueue-service';
export type { EnqueueService, EnqueueOutcome, EnqueueDeps } from './enqueue-service';
export type { EnqueueRequest } from './prepared-job';
export { toChatJobData, toJobData } from './job-payload';
export type { JobDataExtras } from './job-payload';
export { enqueueOrUnavailable } from './redis-outage';
export { createBatch } from './batch-creation';
export type { BatchToCreate, BatchCreationDeps } from './batch-creation';
