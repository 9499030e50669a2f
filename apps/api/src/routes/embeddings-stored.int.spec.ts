import { GatewayError, httpStatusByErrorType } from '@gateway/contracts';
import { useRedisSuite } from '@gateway/testing';
import { storedDataText } from './embeddings';

const suite = useRedisSuite();

describe("a sync embeddings answer's kept vectors", () => {
  it('are read as the bytes the worker wrote', async () => {
    const text = '[{"object":"embedding","index":0,"embedding":"AAAAPw=="}]';
    await suite.client.set('vectors:there', text);
    const logged: unknown[] = [];
    const data = await storedDataText(suite.client, 'vectors:there', { error: (...args: unknown[]) => logged.push(args) });
    expect(data.toString('utf8')).toBe(text);
    expect(logged).toEqual([]);
  });

  // Evicted between the worker's SET and the API's GET: the caller gets a 503 it may retry (not a 404 "past retention"
  // on its POST, nor an empty list), and the operator a log line naming the key.
  it('gone, answer 503 with Retry-After and are logged', async () => {
    const logged: unknown[][] = [];
    const read = storedDataText(suite.client, 'vectors:evicted', { error: (...args: unknown[]) => logged.push(args) });
    await expect(read).rejects.toBeInstanceOf(GatewayError);
    const error = (await read.catch((caught: unknown) => caught)) as GatewayError;
    expect(error.type).toBe('unavailable');
    expect(httpStatusByErrorType[error.type]).toBe(503);
    expect(error.details.retryAfterSeconds).toBe(1);
    expect(logged).toHaveLength(1);
    expect(logged[0]![0]).toEqual({ key: 'vectors:evicted' });
  });
});
