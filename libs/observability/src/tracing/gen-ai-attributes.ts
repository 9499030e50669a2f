/**
 * The OpenTelemetry GenAI semantic conventions the gateway writes on a provider attempt's span. They are still
 * "development" in the conventions, which advise copying such names rather than importing the incubating entry point.
 */
export const genAiAttributes = {
  operationName: 'gen_ai.operation.name',
  providerName: 'gen_ai.provider.name',
  requestModel: 'gen_ai.request.model',
  responseModel: 'gen_ai.response.model',
  inputTokens: 'gen_ai.usage.input_tokens',
  outputTokens: 'gen_ai.usage.output_tokens',
  finishReasons: 'gen_ai.response.finish_reasons',
} as const;

/** The gateway's own attributes, beside the conventions' (never prompt or answer text). */
export const gatewayAttributes = {
  keyId: 'gateway.key_id',
  agentId: 'gateway.agent_id',
  lane: 'gateway.lane',
  costUsd: 'gateway.cost_usd',
  jobId: 'gateway.job_id',
  requestId: 'gateway.request_id',
  attempt: 'gateway.attempt',
  skipped: 'gateway.attempt.skipped',
} as const;
