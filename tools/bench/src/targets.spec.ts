import { targets, targetsTable } from './targets';

describe('targetsTable', () => {
  it('shows every target once: its figure and verdict when a row measured it, else which run does', () => {
    const table = targetsTable([
      {
        scenario: 'lean stock path',
        metric: 'requests/s',
        value: 1800,
        unit: '',
        baseline: 2400,
        ratio: 0.75,
        target: '≥ 0.85×',
        met: false,
        goal: 'throughput-lean',
      },
      { scenario: 'redis commands', metric: 'commands', value: 48.5, unit: '', target: '≤ 50', met: true, goal: 'commands' },
      { scenario: 'overhead c=1', metric: 'added p50 without a goal', value: 0.5, unit: 'ms', met: true },
    ]);
    const lines = table.split('\n');
    expect(lines).toHaveLength(targets.length + 2);
    expect(lines.find((line) => line.includes('lean stock path'))).toBe(
      '| Throughput at 32 connections ≥ 0.85× the lean stock path | 0.75× (1800 vs 2400) | **not met** |',
    );
    expect(lines.find((line) => line.includes('Redis commands'))).toContain('| 48.50 | met |');
    expect(lines.find((line) => line.includes('Added p50'))).toContain('not measured in this run (`overhead`)');
    expect(lines.find((line) => line.includes('Portkey’s gateway (32'))).toContain('(`--peers`)');
  });
});
