import { createHmac } from 'node:crypto';

/** The header a callback's receiver checks: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export const CALLBACK_SIGNATURE_HEADER = 'x-gateway-signature';

/** Signs a callback body with JOB_CALLBACK_SECRET at `nowMs` (the timestamp lets receivers refuse replays). */
export function callbackSignature(secret: string, body: string, nowMs: number = Date.now()): string {
  const timestamp = Math.floor(nowMs / 1000);
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}
