// Lua files are imported as text; the declaration must reach every project that compiles this lib.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./lua.d.ts" />
import type { LuaIncludes } from '@gateway/queue';
import admit from './lua/includes/admit.lua';
import billingClear from './lua/includes/billing-clear.lua';
import cacheEntries from './lua/includes/cache-entries.lua';
import budgetReserve from './lua/includes/budget-reserve.lua';
import codes from './lua/includes/codes.lua';
import rate from './lua/includes/rate.lua';
import reservationDrop from './lua/includes/reservation-drop.lua';
import tokenBucket from './lua/includes/token-bucket.lua';
import usageFold from './lua/includes/usage-fold.lua';

/** lua/includes/*.lua by the name `--- @include` gives them (lua-files.spec.ts checks none is missing here). */
export const limitIncludes: LuaIncludes = {
  'includes/admit': admit,
  'includes/billing-clear': billingClear,
  'includes/cache-entries': cacheEntries,
  'includes/budget-reserve': budgetReserve,
  'includes/codes': codes,
  'includes/rate': rate,
  'includes/reservation-drop': reservationDrop,
  'includes/token-bucket': tokenBucket,
  'includes/usage-fold': usageFold,
};
