export { GatewayLLMClient } from './client';
export type { GatewayLLMClientOptions } from './client';
export {
  GatewayClientError,
  InvalidRequestError,
  UnauthorizedError,
  ForbiddenError,
  BudgetExceededError,
  NotFoundError,
  UnsupportedMediaTypeError,
  PayloadTooLargeError,
  RateLimitedError,
  UpstreamError,
  UnavailableError,
  GatewayTimeoutError,
  InternalError,
  CancelledError,
  ConflictError,
  createClientError,
  parseRetryAfter,
} from './errors';
export type { GatewayClientErrorInit } from './errors';
export type { RetryOptions, ResumeOptions, CallOptions } from './http';
export type { FileBatchOptions } from './files';
export type { ChatOptions, ChatParameters, EmbeddingsOptions, JobOptions, StreamChunk, BatchRequest, WaitOptions } from './types';
export { decodeEmbedding } from './types';
export type { EmbeddingsResponse } from '@gateway/contracts';
export type {
  ResponseFunctionTool,
  ResponseInputItem,
  ResponseInputItemList,
  ResponseObject,
  ResponseOptions,
  ResponseOutputItem,
  ResponseParameters,
  ResponseStatus,
  ResponseStreamEvent,
  ResponseTextFormat,
  ResponseToolChoice,
  ResponseUsage,
} from './responses-types';
export { readEventData, readEvents } from './sse';
export type { StreamEvent } from './sse';
export type {
  ProvidersView,
  ProviderView,
  UsageReport,
  PeriodSpend,
  ChatMessage,
  ChatResponse,
  ToolCall,
  FunctionTool,
  StreamToolCallDelta,
} from '@gateway/contracts';
export { GatewayAdminClient } from './admin-client';
export type { ApiKeyWithUsage } from './admin-client';
