/**
 * The shapes of OpenAI's Responses API as the gateway serves them (`/v1/responses`), in the wire's own spelling:
 * only the fields a caller reads, the rest left open. The client checks none of them; the gateway does.
 */

/** An input item: a message (`{role, content}`, content a string or `input_text`/`input_image` parts), a function call or its output. */
export type ResponseInputItem =
  | { type?: 'message'; role: 'user' | 'assistant' | 'system' | 'developer'; content: string | Record<string, unknown>[] }
  | { type: 'function_call'; call_id: string; name: string; arguments: string; id?: string }
  | { type: 'function_call_output'; call_id: string; output: string }
  | ({ type: string } & Record<string, unknown>);

/** A function tool in the Responses API's flat shape. */
export interface ResponseFunctionTool {
  type: 'function';
  name: string;
  description?: string;
  parameters?: Record<string, unknown>;
  strict?: boolean;
}

export type ResponseToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; name: string };

/** `text.format`: plain text, any JSON object, or JSON matching a schema. */
export type ResponseTextFormat =
  { type: 'text' } | { type: 'json_object' } | { type: 'json_schema'; name: string; schema: Record<string, unknown>; strict?: boolean; description?: string };

/** One output item: the assistant's message, or a function call for the caller to run. */
export type ResponseOutputItem =
  | { type: 'message'; id: string; role: 'assistant'; status: string; content: { type: 'output_text'; text: string; annotations: unknown[] }[] }
  | { type: 'function_call'; id: string; call_id: string; name: string; arguments: string; status: string }
  | ({ type: string; id?: string } & Record<string, unknown>);

export type ResponseStatus = 'queued' | 'in_progress' | 'completed' | 'failed' | 'cancelled' | 'incomplete';

export interface ResponseUsage {
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  input_tokens_details?: { cached_tokens: number };
  output_tokens_details?: { reasoning_tokens: number };
}

/** A Response object (`object: "response"`). */
export interface ResponseObject {
  id: string;
  object: 'response';
  created_at: number;
  status: ResponseStatus;
  model: string;
  output: ResponseOutputItem[];
  /** The text of the output's message items, joined (as the OpenAI SDKs' `output_text`), when the gateway sends it. */
  output_text?: string;
  usage?: ResponseUsage | null;
  error?: { code: string; message: string } | null;
  incomplete_details?: { reason: string } | null;
  previous_response_id?: string | null;
  background?: boolean | null;
  metadata?: Record<string, string> | null;
  [field: string]: unknown;
}

/** One event of a streamed response: `type` and `sequence_number`, then the event's own fields. */
export interface ResponseStreamEvent {
  type: string;
  sequence_number: number;
  response?: ResponseObject;
  delta?: string;
  item?: ResponseOutputItem;
  [field: string]: unknown;
}

/** A page of a response's input items. */
export interface ResponseInputItemList {
  object: 'list';
  data: (ResponseInputItem & { id?: string })[];
  first_id?: string | null;
  last_id?: string | null;
  has_more: boolean;
}

/** The request parameters of a response in the client's spelling (sent under the Responses API's names). */
export interface ResponseParameters {
  instructions?: string;
  tools?: ResponseFunctionTool[];
  toolChoice?: ResponseToolChoice;
  parallelToolCalls?: boolean;
  /** `text.format` and `text.verbosity`. */
  text?: { format?: ResponseTextFormat; verbosity?: 'low' | 'medium' | 'high' };
  temperature?: number;
  topP?: number;
  maxOutputTokens?: number;
  reasoning?: { effort?: 'none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh'; summary?: 'auto' | 'concise' | 'detailed' };
  metadata?: Record<string, string>;
  user?: string;
  /** Keep the response and its input for `previousResponseId`, retrieve and input items (the gateway's default: true). */
  store?: boolean;
  /** Continue the conversation of a stored response (of the same key). */
  previousResponseId?: string;
  /** Answer `queued` at once and run as a durable job (poll with getResponse/waitForResponse, cancel with cancelResponse). */
  background?: boolean;
  include?: string[];
}

/** Options of a response call. */
export interface ResponseOptions extends ResponseParameters {
  model?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Names this call's work (see ChatOptions.idempotencyKey). */
  idempotencyKey?: string;
}
