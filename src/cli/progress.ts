// Progress bars on stderr (cli-progress) for long loops: shown on a terminal, silent with --json or when piped.
import cliProgress from 'cli-progress';

/** A bar with named payload fields shown after the ETA, or null when there is no terminal or output is JSON. */
export function progressBar(label: string, fields: string[], opts: { quiet?: boolean } = {}): cliProgress.SingleBar | null {
  if (opts.quiet || !process.stderr.isTTY) return null;
  const extra = fields.map((f) => ` | ${f} {${f}}`).join('');
  return new cliProgress.SingleBar({ format: `${label} {bar} {percentage}% | {value}/{total} | ETA {eta_formatted}${extra}`, stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic);
}
