/** Spend is kept in Redis as integer nano-USD (1e-9 USD): exact sums, and HINCRBY instead of float drift. */
export const NANO_PER_USD = 1_000_000_000;

export function usdToNano(usd: number): number {
  if (!Number.isFinite(usd) || usd <= 0) return 0;
  return Math.round(usd * NANO_PER_USD);
}

export function nanoToUsd(nano: number): number {
  return nano / NANO_PER_USD;
}

/** For messages: dollars with enough digits for small amounts. */
export function formatUsd(usd: number): string {
  return `$${usd >= 1 ? usd.toFixed(2) : usd.toPrecision(3)}`;
}
