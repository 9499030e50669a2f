/** One point of a latency-vs-load curve. */
export interface CurvePoint {
  offeredRps: number;
  achievedRps: number;
  p50: number;
  p99: number;
}

const colours = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];

/**
 * An SVG line chart of p50 (solid) and p99 (dashed) latency against offered load, one colour per series. Latency
 * is on a log scale (one grid line per decade): sub-millisecond baselines and saturation seconds both show.
 */
export function latencyChart(series: Record<string, CurvePoint[]>, title: string): string {
  const width = 720;
  const height = 420;
  const margin = { left: 64, right: 160, top: 40, bottom: 48 };
  const points = Object.values(series).flat();
  const maxX = Math.max(1, ...points.map((point) => point.offeredRps));
  const latencies = points.flatMap((point) => [point.p50, point.p99]).filter((value) => Number.isFinite(value) && value > 0);
  const lowDecade = Math.floor(Math.log10(Math.min(1, ...latencies)));
  const highDecade = Math.max(lowDecade + 1, Math.ceil(Math.log10(Math.max(10, ...latencies))));
  const x = (value: number) => margin.left + (value / maxX) * (width - margin.left - margin.right);
  const y = (value: number) => {
    const decade = Math.log10(Math.max(value, 10 ** lowDecade));
    return height - margin.bottom - ((decade - lowDecade) / (highDecade - lowDecade)) * (height - margin.top - margin.bottom);
  };
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${title}</text>`,
    `<line x1="${margin.left}" y1="${height - margin.bottom}" x2="${width - margin.right}" y2="${height - margin.bottom}" stroke="black"/>`,
    `<line x1="${margin.left}" y1="${margin.top}" x2="${margin.left}" y2="${height - margin.bottom}" stroke="black"/>`,
    `<text x="${(margin.left + width - margin.right) / 2}" y="${height - 10}" text-anchor="middle">offered load (requests/s)</text>`,
    `<text x="16" y="${height / 2}" transform="rotate(-90 16 ${height / 2})" text-anchor="middle">latency (ms, log scale)</text>`,
  ];
  for (let tick = 0; tick <= 5; tick += 1) {
    const xv = (maxX * tick) / 5;
    parts.push(`<text x="${x(xv)}" y="${height - margin.bottom + 16}" text-anchor="middle">${Math.round(xv)}</text>`);
  }
  for (let decade = lowDecade; decade <= highDecade; decade += 1) {
    const yv = 10 ** decade;
    parts.push(`<text x="${margin.left - 6}" y="${y(yv) + 4}" text-anchor="end">${yv < 1 ? yv.toFixed(-decade) : String(yv)}</text>`);
    parts.push(`<line x1="${margin.left}" y1="${y(yv)}" x2="${width - margin.right}" y2="${y(yv)}" stroke="#eee"/>`);
  }
  Object.entries(series).forEach(([name, curve], index) => {
    const colour = colours[index % colours.length];
    const sorted = [...curve].sort((a, b) => a.offeredRps - b.offeredRps);
    for (const [key, dash] of [
      ['p50', ''],
      ['p99', ' stroke-dasharray="6 4"'],
    ] as const) {
      const path = sorted.map((point) => `${x(point.offeredRps).toFixed(1)},${y(point[key]).toFixed(1)}`).join(' ');
      parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="2"${dash} points="${path}"/>`);
      for (const point of sorted) parts.push(`<circle cx="${x(point.offeredRps).toFixed(1)}" cy="${y(point[key]).toFixed(1)}" r="3" fill="${colour}"/>`);
    }
    const legendY = margin.top + 10 + index * 40;
    parts.push(
      `<line x1="${width - margin.right + 10}" y1="${legendY}" x2="${width - margin.right + 40}" y2="${legendY}" stroke="${colour}" stroke-width="2"/>`,
    );
    parts.push(`<text x="${width - margin.right + 46}" y="${legendY + 4}">${name} p50</text>`);
    parts.push(
      `<line x1="${width - margin.right + 10}" y1="${legendY + 16}" x2="${width - margin.right + 40}" y2="${legendY + 16}" stroke="${colour}" stroke-width="2" stroke-dasharray="6 4"/>`,
    );
    parts.push(`<text x="${width - margin.right + 46}" y="${legendY + 20}">${name} p99</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
