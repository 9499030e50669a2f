import type { Config } from '@gateway/config';
import { formatUsd, type KeyLedger } from '@gateway/limits';

/**
 * Why a request may not reserve its estimate: it is more than BUDGET_MAX_RESERVATION_SHARE of a budget it draws on
 * (the global daily and monthly ones, its key's), so that no caller can hold a budget with a few requests of a huge
 * max_tokens. Refused rather than reserved in part: a budget is a ceiling its payer relies on (a capped reservation
 * would let exactly the largest requests overshoot it), and the client can ask for fewer max_tokens, as it would of a
 * provider that bills by credits. A request larger than the whole budget is left to the budget's own refusal.
 */
export function reservationShareRefusal(
  limits: Pick<Config['limits'], 'enabled' | 'maxReservationShare' | 'dailyBudgetUsd' | 'monthlyBudgetUsd'>,
  estimateUsd: number,
  key: (KeyLedger & { id: string }) | undefined,
): { message: string; keyId?: string } | undefined {
  const share = limits.maxReservationShare;
  if (!limits.enabled || share >= 1 || estimateUsd <= 0) return undefined;
  const budgets: { name: 'daily' | 'monthly'; limitUsd: number | undefined; keyId?: string }[] = [
    { name: 'daily', limitUsd: limits.dailyBudgetUsd },
    { name: 'monthly', limitUsd: limits.monthlyBudgetUsd },
    ...(key
      ? [
          { name: 'daily' as const, limitUsd: key.dailyLimitUsd, keyId: key.id },
          { name: 'monthly' as const, limitUsd: key.monthlyLimitUsd, keyId: key.id },
        ]
      : []),
  ];
  for (const { name, limitUsd, keyId } of budgets) {
    if (limitUsd === undefined || estimateUsd <= limitUsd * share || estimateUsd > limitUsd) continue;
    return {
      message: `${keyId ? `key ${keyId}: ` : ''}this request may cost up to ${formatUsd(estimateUsd)} (its max_tokens at the dearest provider that may serve it), more than the ${Math.round(share * 100)}% of the ${name} budget (${formatUsd(limitUsd)}) one request may reserve; ask for fewer max_tokens`,
      ...(keyId ? { keyId } : {}),
    };
  }
  return undefined;
}
