// Test helpers for reports: counting a chart's marks in its SVG, finding network references in a page.

/** How many marks (graphics symbols) a chart's SVG has in its `mark-<type> role-mark` groups. */
export function markCount(svg: string, type: string): number {
  let n = 0;
  for (const m of svg.matchAll(new RegExp(`<g class="mark-${type} role-mark[^"]*"[^>]*>(.*?)</g>`, 'gs'))) n += (m[1]!.match(/role="graphics-symbol"/g) ?? []).length;
  return n;
}

/** Resource references to the network: any http(s) URL outside an xmlns declaration. */
export function networkRefs(html: string): string[] {
  return html.replace(/xmlns(:\w+)?="[^"]*"/g, '').match(/https?:\/\/[^\s"'<>)]*/g) ?? [];
}
