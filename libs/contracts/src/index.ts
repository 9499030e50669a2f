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
  fromJobError,
  cancelledJobError,
} from './errors';
export type { ErrorType, Attempt, ErrorBody, GatewayErrorDetails, JobError, BudgetRefusalBody } from './errors';
export { providerIdSchema, deprecatedProviders } from './provider-id';
export type { ProviderId } from './provider-id';
export {
  MAX_CONTENT_CHARS,
  chatRoleSchema,
  chatMessageSchema,
  chatRequestSchema,
  usageSchema,
  chatResponseSchema,
} from './chat';
export type { ChatRole, ChatMessage, ChatRequest, Usage, ChatResponse } from './chat';
export {
  jobStatusSchema,
  jobRequestSchema,
  jobAcceptedSchema,
  jobViewErrorSchema,
  jobViewSchema,
  batchItemSchema,
  batchAcceptedSchema,
  batchResultSchema,
  batchViewSchema,
} from './jobs';
export type { JobStatus, JobRequest, JobAccepted, JobViewError, JobView, BatchItem, BatchAccepted, BatchResult, BatchView } from './jobs';
export { openAiMessageSchema, openAiChatRequestSchema, openAiBatchLineSchema, fromOpenAiRequest, openAiErrorTypeByErrorType, toOpenAiErrorBody } from './openai';
export type { OpenAiChatRequest, OpenAiBatchLine, OpenAiErrorBody } from './openai';
export { callbackUrlProblem } from './callback-url';
export { chatJobDataSchema, chatJobResultSchema, replyMessageSchema, streamChunkMessageSchema, streamEndMessageSchema } from './job';
export type { ChatJobData, ChatJobResult, ReplyMessage, StreamChunkMessage, StreamEndMessage } from './job';
export { streamChunkEventSchema, streamDoneEventSchema, streamEventSchema } from './stream';
export type { StreamChunkEvent, StreamDoneEvent, StreamEvent } from './stream';
export { providerViewSchema, providersViewSchema } from './providers';
export type { ProviderView, ProvidersView } from './providers';
export { periodSpendSchema, usageReportSchema } from './spend';
export type { PeriodSpend, UsageReport } from './spend';
