import { z } from 'zod';

/** Every upstream the gateway can call. Adding one here makes the registry fail to compile until it has an adapter. */
export const providerIdSchema = z.enum(['openrouter', 'ollama', 'cursor', 'openai', 'anthropic', 'mock']);
export type ProviderId = z.infer<typeof providerIdSchema>;
