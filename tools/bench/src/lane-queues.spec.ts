import { lanePriorityOf, laneQueueName, parseLaneSlots } from './lane-queues';

describe('lanePriorityOf', () => {
  it('gives interactive work no priority in either shape (BullMQ serves its wait list first)', () => {
    expect(lanePriorityOf('one', 'interactive', 5)).toBeUndefined();
    expect(lanePriorityOf('split', 'interactive', 5)).toBeUndefined();
  });

  it("puts a lane's rounds in its own range on one queue, the batch lane after every job-lane round", () => {
    expect(lanePriorityOf('one', 'job', 0)).toBe(1);
    expect(lanePriorityOf('one', 'batch', 0)).toBe(2 ** 20);
    expect(lanePriorityOf('one', 'batch', 19_999)).toBe(2 ** 20 + 19_999);
    expect(lanePriorityOf('one', 'job', 131_070)!).toBeLessThan(lanePriorityOf('one', 'batch', 0)!);
  });

  it('starts every lane at 1 on a queue of its own, and stays within BullMQ’s limit', () => {
    expect(lanePriorityOf('split', 'batch', 0)).toBe(1);
    expect(lanePriorityOf('split', 'job', 41)).toBe(42);
    expect(lanePriorityOf('one', 'batch', 10_000_000)!).toBeLessThanOrEqual(2 ** 21 - 1);
  });
});

describe('parseLaneSlots', () => {
  it('reads one shared count for one queue and interactive, job, batch counts for a queue per lane', () => {
    expect(parseLaneSlots('one', '64')).toBe(64);
    expect(parseLaneSlots('split', '16,16,32')).toEqual({ interactive: 16, job: 16, batch: 32 });
    expect(parseLaneSlots('split', '8/8/48')).toEqual({ interactive: 8, job: 8, batch: 48 });
  });

  it('refuses a count that is missing, zero or not a whole number', () => {
    expect(() => parseLaneSlots('one', '16,16,32')).toThrow();
    expect(() => parseLaneSlots('split', '64')).toThrow();
    expect(() => parseLaneSlots('split', '16,0,32')).toThrow();
    expect(() => parseLaneSlots('split', '16,1.5,32')).toThrow();
  });
});

describe('laneQueueName', () => {
  it('sends every lane to the chat queue in one shape, and each to its own in the other', () => {
    expect(['interactive', 'job', 'batch'].map((lane) => laneQueueName('one', lane as 'job'))).toEqual(['chat', 'chat', 'chat']);
    expect(['interactive', 'job', 'batch'].map((lane) => laneQueueName('split', lane as 'job'))).toEqual(['interactive', 'job', 'batch']);
  });
});
