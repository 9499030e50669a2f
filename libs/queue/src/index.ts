export { queueKeys, queueNames } from './keys';
export { createRedisConnection, parseClusterNodes, bullPrefix, waitForReady } from './redis-connection';
export type { RedisRole, RedisClient } from './redis-connection';
export { createChatQueue, createChatWorker, chatJobOptions } from './chat-queue';
export type { ChatJob, ChatQueue, ChatWorkerOptions } from './chat-queue';
export { publishReply, subscribeReplies } from './reply-channel';
export type { ReplySubscriptionOptions } from './reply-channel';
export { warnOnEvictionPolicy } from './redis-checks';
export { queueDepthSource } from './queue-depth';
