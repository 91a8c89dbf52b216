// The addon's op codes, read from the addon itself (native/src/opcodes.h) and checked against the TypeScript op names.
import { ARG_REDUCE_OPS, BINARY_OPS, COMPARE_OPS, REDUCE_OPS, UNARY_OPS } from '../types.js';
import type { ArgReduceOp, BinaryOp, CompareOp, ReduceOp, UnaryOp } from '../types.js';

/** The TypeScript op names of each family that the addon numbers. */
export const OP_FAMILIES = {
  unary: UNARY_OPS,
  binary: BINARY_OPS,
  compare: COMPARE_OPS,
  reduce: REDUCE_OPS,
  argReduce: ARG_REDUCE_OPS,
} as const;

export type OpFamily = keyof typeof OP_FAMILIES;

/** The code of every op, per family, as the addon numbers them. */
export interface Opcodes {
  unary: Record<UnaryOp, number>;
  binary: Record<BinaryOp, number>;
  compare: Record<CompareOp, number>;
  reduce: Record<ReduceOp, number>;
  argReduce: Record<ArgReduceOp, number>;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/**
 * Build the op-code tables from the addon's `opcodes` export. Throws, naming every disagreement, unless each
 * family has exactly the TypeScript op names, each with a distinct non-negative integer code: an addon built
 * from other sources must not run ops under the wrong numbers.
 */
export function opcodeTables(reported: unknown): Opcodes {
  const fail = (problems: string[]): never => {
    throw new Error(`op codes of the addon and TypeScript disagree (rebuild the addon): ${problems.join('; ')}`);
  };
  if (!isRecord(reported)) return fail(['the addon exports no opcodes table']);
  const problems: string[] = [];
  for (const family of Object.keys(reported)) {
    if (!(family in OP_FAMILIES)) problems.push(`the addon numbers an unknown family "${family}"`);
  }
  const tables: Record<string, Record<string, number>> = {};
  for (const [family, names] of Object.entries(OP_FAMILIES) as [OpFamily, readonly string[]][]) {
    const codes = reported[family];
    if (!isRecord(codes)) { problems.push(`the addon has no ${family} op codes`); continue; }
    const table: Record<string, number> = {};
    const byCode = new Map<number, string>();
    for (const name of names) {
      const code = codes[name];
      if (typeof code !== 'number' || !Number.isInteger(code) || code < 0) {
        problems.push(code === undefined ? `${family} op "${name}" is missing from the addon` : `${family} op "${name}" has code ${String(code)}`);
        continue;
      }
      const other = byCode.get(code);
      if (other !== undefined) problems.push(`${family} ops "${other}" and "${name}" share code ${code}`);
      byCode.set(code, name);
      table[name] = code;
    }
    for (const name of Object.keys(codes)) {
      if (!names.includes(name)) problems.push(`${family} op "${name}" of the addon is unknown to TypeScript`);
    }
    tables[family] = table;
  }
  if (problems.length) fail(problems);
  return tables as unknown as Opcodes;
}
