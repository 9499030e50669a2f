export { queueKeys, queueNames } from './keys';
export { createRedisConnection, parseClusterNodes, waitForReady, settleWithin } from './redis-connection';
export { bullPrefix, limitsPrefix, limitsPrefixOf, queuePrefixOf } from './prefixes';
export type { LimitsPrefix, QueuePrefix } from './prefixes';
export type { RedisRole, RedisClient } from './redis-connection';
export { createChatQueue, createChatWorker, chatJobOptions, laneConcurrency, laneQueueNames, removeUnstartedJob, addJobsInChunks } from './chat-queue';
export type { ChatJob, ChatQueue, ChatWorkerOptions } from './chat-queue';
export { createLaneQueues, jobKeysOf, jobQueuesOf } from './lane-queues';
export type { JobQueues, LaneQueues } from './lane-queues';
export { publishReply, replyEnvelope, resultReplyEnvelope, piecesBytes, replyWithEmbeddingsData, subscribeReplies } from './reply-channel';
export type { ReplySubscriptionOptions } from './reply-channel';
export { publishCancel, subscribeCancels } from './cancel-channel';
export { appendStreamMessage, readStreamMessages, waitForStreamMessages, addStreamWatcher, removeStreamWatcher, cancelUnwatchedStream } from './job-stream';
export type { JobStreamLimits, KeptMessage } from './job-stream';
export { compareEntryIds, readStreamTails, wakeStreamTails } from './stream-tails';
export type { StreamTailsRead, StreamTailsReadOptions } from './stream-tails';
export type { CancelSubscriptionOptions } from './cancel-channel';
export { redisAnswers, warnOnEvictionPolicy } from './redis-checks';
export { queueDepthSource } from './queue-depth';
export { errorFromFailedReason, jobViewFromFields, parseJobResult, readJobViews, markJobCancelled, isJobCancelled } from './job-states';
export { joinStoredEmbeddings } from './stored-embeddings';
export {
  batchJobId,
  batchJobIndex,
  saveBatch,
  deleteBatch,
  loadBatch,
  listBatchIds,
  listMessageBatchIds,
  isMessageBatch,
  MESSAGE_BATCH_ENDPOINT,
  markBatchCancelled,
  isBatchCancelled,
  noteBatchRequestsEnded,
  readBatchEndedCount,
  claimBatch,
  releaseBatchClaim,
} from './batch-store';
export { newGatewayId, derivedGatewayId, isGatewayJobId, isGatewayBatchId, laneMarkOf, otherLaneJobId, queueNameOfJob } from './job-ids';
export type { LaneMark } from './job-ids';
export type { BatchRecord, BatchTokenUsage } from './batch-store';
export { newFileId, batchFileId, parseFileId, parseFileIdOwner } from './file-ids';
export type { BatchFileKind, ParsedFileId } from './file-ids';
export { createFileWriter, fileBytesUsed, saveFile, loadFile, deleteFile, listFileIds, readFileChunks } from './file-store';
export type { FileRecord } from './file-store';
export { readBatchState, readBatchView, batchResultLines, batchOutcomePages, batchCompletedPages } from './batch-view';
export type { BatchCompletedPage } from './batch-view';
export { readCompletedResults, unframeReturnValues, type CompletedResult, type FramedReturnValue } from './completed-results';
export type { BatchState, BatchViewOptions, BatchRequestOutcome } from './batch-view';
export { removeBatch } from './batch-removal';
export { createCallbackQueue, enqueueCallback, callbackSubject, createCallbackWorker, promoteJobCallback, recordJobCallback } from './callback-queue';
export type { CallbackJobData, CallbackQueue } from './callback-queue';
export { batchCallbackWaitMs, makeBatchCallbackDue, promoteBatchCallback, recordBatchCallback, removeBatchCallback } from './batch-callback';
export { defineLuaFile, defineLuaScript, keyCountOf, runLuaScript, runLuaScriptBuffer } from './lua-script';
export { resolveLuaIncludes } from './lua-includes';
export type { LuaIncludes } from './lua-includes';
export { canGateAdds } from './bullmq-internals';
export { addJobBehindGate } from './gated-add';
export type { GateScript, GatedAddResult, GatedJob, GatedQueue } from './gated-add';
export { assignRounds, callerPriorityMax, laneLayout, lanePriorities, lanePriority, laneRange, priorityBand, tenantId } from './lanes';
export type { LaneRequest, RoundRequest } from './lanes';
export { readLaneBacklog } from './lane-backlog';
export { readLaneOldest, OLDEST_READ_PER_BAND } from './lane-oldest';
export type { LaneBacklog, LaneQueueKeys } from './lane-backlog';
export { watchChannel } from './channel-watch';
export type { ChannelWatch, ChannelWatchOptions } from './channel-watch';
export type { LuaScript } from './lua-script';
export { completedOutcomeJson, keepJobOutcome, readKeptOutcome, dropKeptOutcome } from './kept-outcomes';
export type { KeptOutcome } from './kept-outcomes';
export { saveStoredRecord, updateStoredRecord, readStoredRecord, deleteStoredRecord, StoredRecordCode } from './stored-records';
export type { StoredRecordPlace } from './stored-records';
