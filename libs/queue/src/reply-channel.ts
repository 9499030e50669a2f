import { embeddingsDataPieces, parseReplyMessage, type EmbeddingVectorTexts, type ReplyMessage } from '@gateway/contracts';
import { watchSubscriberMoves } from './cluster-subscriber-watch';
import { queueKeys } from './keys';
import type { RedisClient } from './redis-connection';
import type { QueuePrefix } from './prefixes';

/** The channel and payload of a reply, for a caller that publishes it inside a script (e.g. with the billing). */
export function replyEnvelope(prefix: QueuePrefix, replyTo: string, message: ReplyMessage): { channel: string; message: string } {
  return { channel: queueKeys.replyChannel(prefix, replyTo), message: JSON.stringify(message) };
}

/** A result's reply (`{kind: 'result', job_id, result}`) from the result's JSON, serialised once for all its uses. */
export function resultReplyEnvelope(prefix: QueuePrefix, replyTo: string, jobId: string, resultJson: string): { channel: string; message: string } {
  return { channel: queueKeys.replyChannel(prefix, replyTo), message: `{"kind":"result","job_id":${JSON.stringify(jobId)},"result":${resultJson}}` };
}

/**
 * A result's reply, as bytes, with its embeddings' `data` list (embeddingsDataPieces of the vectors' texts, or that
 * list's bytes as they are) after the envelope on a line of its own (JSON.stringify never writes a raw newline): the
 * API writes the answer around that text without parsing it (subscribeReplies).
 */
export function replyWithEmbeddingsData(
  prefix: QueuePrefix,
  replyTo: string,
  message: Extract<ReplyMessage, { kind: 'result' }>,
  vectors: EmbeddingVectorTexts | Buffer,
): { channel: string; message: Buffer } {
  const head = `${JSON.stringify(message)}\n`;
  return {
    channel: queueKeys.replyChannel(prefix, replyTo),
    message: Buffer.isBuffer(vectors)
      ? Buffer.concat([Buffer.from(head, 'utf8'), vectors])
      : piecesBytes(head, embeddingsDataPieces(vectors.texts), vectors.ascii),
  };
}

/**
 * `head` (UTF-8) then `pieces`, as one buffer: when the pieces are all ASCII (base64 vectors, numbers) each is copied
 * as it is, straight into place, which spares joining hundreds of KB into a string and ioredis measuring and UTF-8
 * encoding it.
 */
export function piecesBytes(head: string, pieces: readonly string[], ascii: boolean): Buffer {
  if (!ascii) return Buffer.from(head + pieces.join(''), 'utf8');
  const headLength = Buffer.byteLength(head, 'utf8');
  let length = headLength;
  for (const piece of pieces) length += piece.length;
  const bytes = Buffer.allocUnsafe(length);
  let at = bytes.write(head, 0, 'utf8');
  for (const piece of pieces) at += bytes.write(piece, at, 'latin1');
  return bytes;
}

/** Publishes a job's outcome to the API instance that waits for it. */
export async function publishReply(redis: RedisClient, prefix: QueuePrefix, replyTo: string, message: ReplyMessage): Promise<void> {
  const envelope = replyEnvelope(prefix, replyTo, message);
  await redis.publish(envelope.channel, envelope.message);
}

export interface ReplySubscriptionOptions {
  /** A dedicated `blocking` connection: it enters subscriber mode. */
  subscriber: RedisClient;
  prefix: QueuePrefix;
  instanceId: string;
  /** `embeddingsData`: a result's embeddings `data` list as JSON text, when the reply carried it apart (replyWithEmbeddingsData). */
  onMessage: (message: ReplyMessage, embeddingsData?: Buffer) => void;
  /** Called for a message that does not parse (never thrown). */
  onInvalid?: (error: unknown) => void;
  /** Called after every (re)subscription: messages published while disconnected were lost. */
  onSubscribed?: () => void;
}

/**
 * Subscribes once per API instance, so no job pays a SUBSCRIBE round trip. ioredis re-subscribes after a
 * reconnect (on a cluster, after moving to another node) by itself; onSubscribed, called after each, lets the caller
 * look up jobs whose reply may have been missed.
 */
export async function subscribeReplies(options: ReplySubscriptionOptions): Promise<() => Promise<void>> {
  const channel = queueKeys.replyChannel(options.prefix, options.instanceId);
  const { subscriber } = options;
  const channelBytes = Buffer.from(channel);
  // Read as bytes: an embeddings reply's vectors (hundreds of KB) are written back out as they came, never decoded.
  const onMessage = (incoming: Buffer, payload: Buffer) => {
    if (!channelBytes.equals(incoming)) return;
    const newline = payload.indexOf(0x0a);
    let parsed: ReplyMessage;
    try {
      parsed = parseReplyMessage(JSON.parse(payload.toString('utf8', 0, newline === -1 ? payload.length : newline)));
      if (newline !== -1 && parsed.kind !== 'result') throw new Error('only a result carries embeddings data');
    } catch (error) {
      options.onInvalid?.(error);
      return;
    }
    options.onMessage(parsed, newline === -1 ? undefined : payload.subarray(newline + 1));
  };
  let first = true;
  const onReady = () => {
    if (first) return;
    options.onSubscribed?.();
  };
  subscriber.on('messageBuffer', onMessage);
  subscriber.on('ready', onReady);
  await subscriber.subscribe(channel);
  first = false;
  // On a cluster, the subscribed connection moves between nodes on its own, without a 'ready'.
  const stopWatch = watchSubscriberMoves(subscriber, { onResubscribed: () => options.onSubscribed?.() });
  options.onSubscribed?.();
  return async () => {
    stopWatch();
    subscriber.off('messageBuffer', onMessage);
    subscriber.off('ready', onReady);
    await subscriber.unsubscribe(channel).catch(() => undefined);
  };
}
