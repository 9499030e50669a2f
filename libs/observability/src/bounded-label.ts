/**
 * Keeps a label's values a small set although they come from callers (model names): the first `limit`
 * distinct values pass, later new ones become `other`. Query strings (the mock's directives) are dropped.
 */
export function createBoundedLabel(limit: number) {
  const seen = new Set<string>();
  return (value: string): string => {
    const cleaned = value.split('?')[0]!.slice(0, 120) || 'unknown';
    if (seen.has(cleaned)) return cleaned;
    if (seen.size >= limit) return 'other';
    seen.add(cleaned);
    return cleaned;
  };
}
