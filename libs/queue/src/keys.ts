/** Every Redis key and channel name of the queue lib, under one prefix. */
export const queueKeys = {
  /** Pub/sub channel an API instance listens on for the outcomes (and stream chunks) of its jobs. */
  replyChannel: (prefix: string, instanceId: string): string => `${prefix}:reply:${instanceId}`,
  /** Pub/sub channel every worker listens on for job ids to abort (their client went away). */
  cancelChannel: (prefix: string): string => `${prefix}:cancel`,
};

/** Queue names (BullMQ adds the prefix itself). */
export const queueNames = {
  chat: 'chat',
} as const;
