/** BullMQ's Lua sources by script name (its CommonJS build; the package has no exports map to forbid it). */
declare module 'bullmq/dist/cjs/scripts' {
  export interface BullScript {
    name: string;
    content: string;
    keys: number;
  }
  export const addStandardJob: BullScript;
  export const addPrioritizedJob: BullScript;
  export const addDelayedJob: BullScript;
  export const addParentJob: BullScript;
  export const changePriority: BullScript;
}
