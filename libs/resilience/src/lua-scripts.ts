// Apps typecheck only what they import: the reference brings the *.lua module declaration along.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./lua.d.ts" />
import { defineLuaFile as script } from '@gateway/queue';
import breakerAcquire from './lua/breaker-acquire-1.lua';
import breakerRecord from './lua/breaker-record-1.lua';

export const breakerScripts = {
  acquire: script('breaker-acquire-1.lua', breakerAcquire),
  record: script('breaker-record-1.lua', breakerRecord),
};
