// Dotted-name patterns: select parameters by glob (`features.*.weight`, `layer2.**`) or RegExp.
import type { Tensor } from '../engine/tensor.js';

/** A glob over dotted names (`*` = one segment or part of one, `**` = any number of segments) or a RegExp. */
export type NamePattern = string | RegExp;

const segCache = new Map<string, RegExp>();

function segMatch(glob: string, seg: string): boolean {
  if (!glob.includes('*')) return glob === seg;
  let re = segCache.get(glob);
  if (!re) {
    re = new RegExp(`^${glob.split('*').map((x) => x.replace(/[|\\{}()[\]^$+?.]/g, '\\$&')).join('.*')}$`);
    segCache.set(glob, re);
  }
  return re.test(seg);
}

function matchSegs(p: readonly string[], n: readonly string[], i = 0, j = 0): boolean {
  if (i === p.length) return j === n.length;
  if (p[i] === '**') return matchSegs(p, n, i + 1, j) || (j < n.length && matchSegs(p, n, i, j + 1));
  return j < n.length && segMatch(p[i]!, n[j]!) && matchSegs(p, n, i + 1, j + 1);
}

/**
 * Whether a dotted name matches a pattern. A pattern also matches everything below what it matches
 * (`features.0` matches `features.0.weight`; `layer*` matches `layer2.0.conv1.weight`).
 * @example matchName('features.*.0.weight', 'features.2.0.weight') // true
 */
export function matchName(pattern: NamePattern, name: string): boolean {
  if (pattern instanceof RegExp) return pattern.test(name);
  if (pattern === name || name.startsWith(`${pattern}.`)) return true;
  return matchSegs([...pattern.split('.'), '**'], name.split('.'));
}

/** The (name, tensor) pairs whose name matches any of the patterns. */
export function selectNamed(named: Iterable<[string, Tensor]>, patterns: NamePattern | NamePattern[]): [string, Tensor][] {
  const ps = Array.isArray(patterns) ? patterns : [patterns];
  return [...named].filter(([n]) => ps.some((p) => matchName(p, n)));
}
