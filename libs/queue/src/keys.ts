import type { QueuePrefix } from './prefixes';

/** Every Redis key and channel name of the queue lib, under the queue prefix (hash-tagged on a cluster: one slot). */
export const queueKeys = {
  /** Pub/sub channel an API instance listens on for the outcomes (and stream chunks) of its jobs. */
  replyChannel: (prefix: QueuePrefix, instanceId: string): string => `${prefix}:reply:${instanceId}`,
  /** Pub/sub channel every worker listens on for jobs to abort. */
  cancelChannel: (prefix: QueuePrefix): string => `${prefix}:cancel`,
  /** Marks a job cancelled (a string key with the retention TTL). */
  jobCancelled: (prefix: QueuePrefix, jobId: string): string => `${prefix}:cancelled:${jobId}`,
  /** A job's outcome kept beyond its retention (string: JSON `{state, result | error}`, with the job's keep_outcome_seconds as TTL). */
  keptOutcome: (prefix: QueuePrefix, jobId: string): string => `${prefix}:outcome:${jobId}`,
  /** An embeddings job's vectors (string: their JSON array), kept apart from its BullMQ return value, with the result's retention as TTL. */
  jobEmbeddings: (prefix: QueuePrefix, jobId: string): string => `${prefix}:embeddings:${jobId}`,
  /** A stored record an API route keeps of a job it made (string: the route's JSON, opaque here), with its TTL. */
  storedRecord: (prefix: QueuePrefix, id: string): string => `${prefix}:record:${id}`,
  /** The stored records of an owner (a key id, or '' for callers without a key): a zset record id -> expiry ms. */
  storedRecordsOf: (prefix: QueuePrefix, owner: string): string => `${prefix}:records:${owner === '' ? 'open' : `key:${owner}`}`,
  /** A resumable job's stream messages (a Redis stream, MAXLEN-bounded, with the result retention as its lifetime). */
  jobStream: (prefix: QueuePrefix, jobId: string): string => `${prefix}:stream:${jobId}`,
  /** The clients watching a resumable job's stream (hash: token → 1, `left` → ms of the last leave), for its grace. */
  jobStreamWatchers: (prefix: QueuePrefix, jobId: string): string => `${prefix}:stream-watchers:${jobId}`,
  /** An API instance's wake-up stream: an entry makes its one XREAD over the attached streams start again with a new set. */
  streamTailsWake: (prefix: QueuePrefix, instanceId: string): string => `${prefix}:stream-tails-wake:${instanceId}`,
  /** A batch's record (hash: total, created_at, custom_ids). */
  batch: (prefix: QueuePrefix, batchId: string): string => `${prefix}:batch:${batchId}`,
  /** The request hash of a batch made under an Idempotency-Key (string, SET NX: the first request claims the batch id). */
  batchClaim: (prefix: QueuePrefix, batchId: string): string => `${prefix}:batch-claim:${batchId}`,
  /** The ids of a batch's requests that have ended (a set: counted once however often a worker reports one). */
  batchEnded: (prefix: QueuePrefix, batchId: string): string => `${prefix}:batch:${batchId}:ended`,
  /** The batches of an owner (a key id, or '' for callers without a key): a zset batch id -> created ms. */
  batchesOf: (prefix: QueuePrefix, owner: string): string => `${prefix}:batches:${owner === '' ? 'open' : `key:${owner}`}`,
  /** The Anthropic Message Batches of an owner, listed apart from its other batches (same shape as batchesOf). */
  messageBatchesOf: (prefix: QueuePrefix, owner: string): string => `${prefix}:message-batches:${owner === '' ? 'open' : `key:${owner}`}`,
  /** An uploaded file's record (hash: filename, bytes, lines, endpoint, created_at, key_id; the file's TTL). */
  file: (prefix: QueuePrefix, fileId: string): string => `${prefix}:file:${fileId}`,
  /** An uploaded file's content: a list of deflated chunks of whole lines, in order (the file's TTL). */
  fileData: (prefix: QueuePrefix, fileId: string): string => `${prefix}:file:${fileId}:data`,
  /** The files of an owner (a key id, or '' for callers without a key): a zset file id -> created ms. */
  filesOf: (prefix: QueuePrefix, owner: string): string => `${prefix}:files:${owner === '' ? 'open' : `key:${owner}`}`,
  /** The bytes of an owner's files (hash file id -> bytes), what its storage quota counts. */
  fileBytesOf: (prefix: QueuePrefix, owner: string): string => `${prefix}:file-bytes:${owner === '' ? 'open' : `key:${owner}`}`,
  /**
   * A lane's band generations (hash band -> generation), under its queue's own name (`<q>:chat-job`), so that it
   * shares the queue's slot on a cluster: the round script reads the queue's prioritized set with it.
   */
  laneGenerations: (queueName: string, lane: string): string => `${queueName}:lane:${lane}:generations`,
  /** A lane's tenants with a backlog (zset "<band>:<tenant>" -> band offset + last round), for the backlog metric. */
  laneTenants: (queueName: string, lane: string): string => `${queueName}:lane:${lane}:tenants`,
  /** A tenant's last round in a lane's band (string "<generation>:<round>"), in the queue's slot too. */
  laneRound: (queueName: string, lane: string, band: number, tenant: string): string => `${queueName}:lane:${lane}:${band}:${tenant}`,
};

/** The id of the callback job (in the callbacks queue) of a job or of a batch's end: one per job or batch. */
export function callbackJobId(id: string, of: 'job' | 'batch' = 'job'): string {
  return of === 'batch' ? `cb-batch-${id}` : `cb-${id}`;
}

/** Queue names (BullMQ adds the prefix itself). */
export const queueNames = {
  /** Interactive work (a caller waits on it); also whatever job and batch work API instances before the lane queues added. */
  chat: 'chat',
  /** Asynchronous jobs (`POST /v1/jobs`, background responses). */
  chatJob: 'chat-job',
  /** Batch requests. */
  chatBatch: 'chat-batch',
  /** Deliveries of finished jobs' outcomes to their callback_url. */
  callbacks: 'callbacks',
} as const;
