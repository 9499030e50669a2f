// The wire shapes live in contracts because batch lines (`/v1/chat/completions` bodies in JSONL) are checked there too.
export { openAiChatRequestSchema as chatCompletionsRequestSchema, toOpenAiErrorBody as toChatCompletionsErrorBody } from '@gateway/contracts';
export type { OpenAiChatRequest as ChatCompletionsRequest, OpenAiErrorBody as ChatCompletionsErrorBody } from '@gateway/contracts';
