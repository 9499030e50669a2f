import type { Config } from '@gateway/config';
import type { ResultWaiter } from '../result-waiter';
import type { StreamSessionDeps } from '../stream-session';

/** What the Responses routes need (POST /v1/responses and the reads of stored responses). */
export interface ResponsesRouteDeps extends StreamSessionDeps {
  config: Pick<Config, 'llm' | 'http' | 'stream' | 'providers' | 'queue' | 'redis' | 'responses'>;
  waiter: ResultWaiter;
  instanceId: string;
}
