import type { Socket } from 'node:net';
import { toOpenAiErrorBody } from '@gateway/contracts';

/** Node's codes for a request that never became one, the status each is answered with, and why. */
const answers: Record<string, { status: number; reason: string; message: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, reason: 'Request Header Fields Too Large', message: 'request headers are too large' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, reason: 'Request Timeout', message: 'the request did not arrive in time' },
};
const malformed = { status: 400, reason: 'Bad Request', message: 'malformed HTTP request' };

/**
 * Answers a request Node's parser refused before the app saw it (headers too large, a malformed request line, a
 * request that never finished arriving) in the gateway's error envelope instead of Node's bare status line, then
 * closes the connection. A socket already written to or gone is only destroyed.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (socket.destroyed || !socket.writable || (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent) {
    socket.destroy();
    return;
  }
  const answer = (error.code !== undefined ? answers[error.code] : undefined) ?? malformed;
  const body = JSON.stringify(toOpenAiErrorBody('invalid_request', answer.message));
  socket.end(
    `HTTP/1.1 ${answer.status} ${answer.reason}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
