import { batchScenario } from './batch';
import type { ScenarioContext } from './context';
import { deploymentsScenario } from './deployment-overhead';
import { embeddingsScenario } from './embeddings';
import { fileBatchScenario } from './file-batch';
import { lanesScenario } from './lanes';
import { lanesSpikeScenario } from './lanes-spike';
import { limitsScenario } from './limits';
import { responsesScenario } from './responses';
import { messagesScenario } from './messages';
import { operatingScenario } from './operating';
import { responseCacheScenario } from './response-cache';
import { streamingScenario } from './streaming';
import { toolStreamingScenario } from './tool-streaming';

/** Scenarios of the streaming, Responses, Messages, batch, lanes, limits, embeddings, operating (request log, traces) and response-cache features. */
export async function optionalScenarios(context: ScenarioContext, selected: ReadonlySet<string>): Promise<void> {
  if (selected.has('limits')) await limitsScenario(context);
  if (selected.has('streaming')) await streamingScenario(context);
  if (selected.has('responses')) await responsesScenario(context);
  if (selected.has('messages')) await messagesScenario(context);
  if (selected.has('tool-streaming')) await toolStreamingScenario(context);
  if (selected.has('batch')) await batchScenario(context);
  // Part of batch; alone with --only=file-batch.
  if (selected.has('file-batch')) await fileBatchScenario(context);
  // Part of overhead; alone with --only=deployments.
  if (selected.has('deployments')) await deploymentsScenario(context);
  if (selected.has('lanes')) await lanesScenario(context);
  // Issue 38's question 2, a queue per lane against today's one queue (opt-in: --only=lanes-spike).
  if (selected.has('lanes-spike')) await lanesSpikeScenario(context);
  if (selected.has('embeddings')) await embeddingsScenario(context);
  if (selected.has('operating')) await operatingScenario(context);
  if (selected.has('response-cache')) await responseCacheScenario(context);
}
