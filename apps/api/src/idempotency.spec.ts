import type { Request } from 'express';
import { GatewayError } from '@gateway/contracts';
import { idempotentRequestOf } from './idempotency';

const requestWith = (body: unknown): Request => ({ body, get: (name: string) => (name === 'Idempotency-Key' ? 'key-1' : undefined) }) as unknown as Request;

describe('idempotentRequestOf', () => {
  it('hashes the route and the body: the same request gives the same hash, another body another', () => {
    const first = idempotentRequestOf(requestWith({ a: 1 }), '/v1/chat');
    expect(first).toEqual({ key: 'key-1', requestHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(idempotentRequestOf(requestWith({ a: 1 }), '/v1/chat')).toEqual(first);
    expect(idempotentRequestOf(requestWith({ a: 2 }), '/v1/chat')?.requestHash).not.toBe(first?.requestHash);
  });

  it('refuses with a 400 a body nested too deeply to serialise (the JSON parser takes it), instead of failing with a 500', () => {
    const deep = JSON.parse(`${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`) as unknown;
    let thrown: unknown;
    try {
      idempotentRequestOf(requestWith(deep), '/v1/chat');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(GatewayError);
    expect((thrown as GatewayError).type).toBe('invalid_request');
  });
});
