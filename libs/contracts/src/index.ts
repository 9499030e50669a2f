export {
  errorTypeSchema,
  httpStatusByErrorType,
  attemptSchema,
  errorBodySchema,
  budgetRefusalSchema,
  GatewayError,
  isGatewayError,
  jobErrorSchema,
  toJobError,
  recoveryOf,
  cancelledJobError,
  expiredJobError,
} from './errors';
export type { ErrorType, Attempt, ErrorBody, GatewayErrorDetails, JobError, BudgetRefusalBody, Recovery } from './errors';
export {
  queueUnavailable,
  batchStillCreating,
  jobLost,
  shuttingDown,
  streamLost,
  slowReader,
  notFound,
  consoleNotInstalled,
  routeNotFound,
  invalidRequest,
  batchCostCapReached,
  missingCredentials,
  unauthorized,
  callCancelled,
  cancelledBeforeStart,
  jobFailed,
  malformedJobResult,
  embeddingsExpired,
  embeddingsVectorsLost,
  internalError,
  toGatewayError,
  idempotencyConflict,
  idempotencySpent,
  resumeGraceExpired,
  rateLimited,
  budgetExceeded,
  batchRequestRefused,
  modelForbidden,
  storeFull,
  originForbidden,
  csrfRefused,
  hostForbidden,
  mediaTypeRefused,
  compressedBatchRefused,
  unreadableBody,
  bodyNotAnObject,
  batchBodyTooLarge,
  batchPartTooLarge,
  batchLineTooLong,
  fileTooLarge,
  fileLineRefused,
  keyRevoked,
  jobWaitTimedOut,
  syncCallTimedOut,
  streamIdle,
  fromJobError,
} from './error-catalogue';
export type { NotFoundOptions, GatewayErrorFallback, UnreadableBody } from './error-catalogue';
export {
  upstreamRejected,
  upstreamRefused,
  upstreamHttpFailure,
  upstreamFailure,
  upstreamRefusedRequest,
  upstreamReportedError,
  upstreamTimeout,
  upstreamStreamSilent,
  streamEndedEarly,
  tooManyToolCalls,
  modelNotPulled,
  toolArgumentsNotAnObject,
  noConversationTurn,
  mockFailure,
  unexpectedProviderFailure,
  withAttempts,
  allProvidersFailed,
} from './error-catalogue-upstream';
export { providerIdSchema } from './provider-id';
export { idempotencyKeySchema, streamEventIdSchema, formatStreamEventId, IDEMPOTENCY_WINDOW_SECONDS } from './resumable';
export type { StreamEventId } from './resumable';
export type { ProviderId } from './provider-id';
export {
  MAX_CONTENT_CHARS,
  chatParamsShape,
  chatParamsSchema,
  chatParamsIssues,
  chatParamsOf,
  withChatRules,
  toolNames,
  chatRequestObjectSchema,
  chatRequestSchema,
  agentIdSchema,
  usageSchema,
  finishReasonSchema,
  chatResponseSchema,
} from './chat';
export type { ChatParams, ChatRequest, Usage, ChatResponse } from './chat';
export {
  MAX_IMAGE_URL_CHARS,
  MAX_CONTENT_PARTS,
  MAX_TOOL_CALLS,
  textPartSchema,
  imageUrlPartSchema,
  contentPartSchema,
  toolCallSchema,
  chatMessageSchema,
  contentText,
  imageParts,
  isImageUrl,
  cacheControlSchema,
  reasoningBlockSchema,
} from './messages';
export type { TextPart, ImageUrlPart, ContentPart, ToolCall, ChatMessage, ChatRole, CacheControl, ReasoningBlock } from './messages';
export {
  MAX_TOOLS,
  MAX_SCHEMA_BYTES,
  MAX_TOOL_DESCRIPTION_CHARS,
  functionToolSchema,
  toolChoiceSchema,
  responseFormatSchema,
  reasoningEffortSchema,
  reasoningSchema,
} from './tools';
export type { FunctionTool, ToolChoice, ResponseFormat, ReasoningEffort, Reasoning } from './tools';
export {
  jobStatusSchema,
  jobRequestSchema,
  jobAcceptedSchema,
  jobViewErrorSchema,
  jobViewSchema,
  batchItemSchema,
  batchAcceptedSchema,
  batchCreatedSchema,
  batchResultSchema,
  batchViewSchema,
  batchMaxCostSchema,
  batchListSchema,
  batchOptionsSchema,
  batchStatusSchema,
  batchMetadataSchema,
  batchEndpointSchema,
  fileBatchOptionsSchema,
  completionWindowSchema,
  completionWindowMs,
} from './jobs';
export type {
  JobStatus,
  JobRequest,
  JobAccepted,
  JobViewError,
  JobView,
  BatchItem,
  BatchAccepted,
  BatchCreated,
  BatchResult,
  BatchView,
  BatchList,
  BatchOptions,
  BatchStatus,
  BatchEndpoint,
  FileBatchOptions,
} from './jobs';
export { filePurposeSchema, fileObjectSchema, fileListSchema, fileDeletedSchema } from './files';
export type { FileObject, FileList, FileDeleted, BatchOutputLine } from './files';
export { openAiChatRequestSchema, openAiBatchLineSchema, fromOpenAiRequest, openAiErrorTypeByErrorType, toOpenAiErrorBody } from './openai';
export type { OpenAiChatRequest, OpenAiBatchLine, OpenAiErrorBody } from './openai';
export { callbackUrlProblem, callbackHostEntries } from './callback-url';
export type { CallbackHostEntry } from './callback-url';
export {
  chatJobDataSchema,
  embeddingsJobDataSchema,
  isEmbeddingsJob,
  laneSchema,
  laneOf,
  chatJobResultSchema,
  plainChatJobResult,
  replyMessageSchema,
  parseReplyMessage,
  streamChunkMessageSchema,
  streamEndMessageSchema,
  toolCallDeltaSchema,
  reasoningDeltaSchema,
} from './job';
export type {
  ChatJobData,
  EmbeddingsJobData,
  GatewayJobData,
  Lane,
  ChatJobResult,
  ReplyMessage,
  StreamChunkMessage,
  StreamEndMessage,
  ToolCallDelta,
  ReasoningDelta,
} from './job';
export { streamChunkEventSchema, streamToolCallDeltaSchema, streamToolCallsEventSchema, streamDoneEventSchema, streamEventSchema } from './stream';
export type { StreamChunkEvent, StreamToolCallDelta, StreamToolCallsEvent, StreamDoneEvent, StreamEvent } from './stream';
export { providerViewSchema, providersViewSchema } from './providers';
export type { ProviderView, ProvidersView } from './providers';
export { deploymentViewSchema } from './deployments';
export type { DeploymentView } from './deployments';
export { periodSpendSchema, usageReportSchema } from './spend';
export type { PeriodSpend, UsageReport } from './spend';
export { requestLogEntrySchema, requestLogPageSchema, requestLogTokensSchema } from './request-log';
export type { RequestLogEntry, RequestLogPage, RequestLogRecord } from './request-log';
export {
  keyPeriodSpendSchema,
  listedKeySchema,
  spendDaySchema,
  spendHistorySchema,
  laneViewSchema,
  lanesViewSchema,
  providerErrorSchema,
  adminProvidersViewSchema,
  consoleSessionSchema,
  consoleLoginSchema,
} from './admin-views';
export type { KeyPeriodSpend, ListedKey, SpendDay, SpendHistory, LanesView, ProviderErrorRecord, AdminProvidersView, ConsoleSession } from './admin-views';
export {
  keySettingsShape,
  createKeyRequestSchema,
  updateKeyRequestSchema,
  apiKeyViewSchema,
  createdKeySchema,
  KEY_ID_PATTERN,
  KEY_SECRET_PREFIX,
  modelAllowed,
} from './keys';
export type { CreateKeyRequest, UpdateKeyRequest, ApiKeyView, CreatedKey } from './keys';
export {
  MAX_EMBEDDING_INPUTS,
  MAX_EMBEDDING_INPUT_CHARS,
  embeddingInputSchema,
  embeddingEncodingSchema,
  embeddingsRequestSchema,
  embeddingsParamsSchema,
  embeddingVectorSchema,
  embeddingInputsOf,
  toEmbeddingsWork,
  toEmbeddingsResponse,
  embeddingsResponseText,
  embeddingsDataText,
  embeddingsResponseAround,
  embeddingVectorsText,
  embeddingVectorTexts,
  embeddingVectorsPieces,
  embeddingsDataPieces,
  openAiEmbeddingsBatchLineSchema,
} from './embeddings';
export type {
  EmbeddingVectorTexts,
  EmbeddingInput,
  EmbeddingEncoding,
  EmbeddingsRequest,
  EmbeddingsParams,
  EmbeddingsWork,
  EmbeddingVector,
  EmbeddingsResponse,
} from './embeddings';
export { createReplayFilter } from './replay-filter';
export type { ReplayFilter } from './replay-filter';
