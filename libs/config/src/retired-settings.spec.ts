import { loadConfig } from './config';
import { retiredSettingsIn } from './retired-settings';

describe('retired settings', () => {
  it('are ignored by the configuration, and named with what replaced them when still set', () => {
    const environment = { LLM_PROVIDER: 'mock', WORKER_INTERACTIVE_SLOTS: '3', LANE_MIN_SHARE: '0.3', WORKER_CONCURRENCY: '8' };
    expect(loadConfig(environment).worker).toMatchObject({ concurrency: 8, jobConcurrency: 8, batchConcurrency: 8 });
    expect(retiredSettingsIn(environment).map((retired) => retired.variable)).toEqual(['WORKER_INTERACTIVE_SLOTS', 'LANE_MIN_SHARE']);
    expect(retiredSettingsIn(environment)[0]?.replacedBy).toMatch(/WORKER_CONCURRENCY/);
    expect(retiredSettingsIn({ WORKER_CONCURRENCY: '8' })).toEqual([]);
  });
});
