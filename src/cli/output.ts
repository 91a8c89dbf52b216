// Terminal output conventions: tables for people, JSON for machines, logs on stderr, NO_COLOR respected.

export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  return !('NO_COLOR' in process.env) && stream.isTTY === true && process.env['TERM'] !== 'dumb';
}

export function bold(s: string, stream: NodeJS.WriteStream = process.stdout): string {
  return useColor(stream) ? `\x1b[1m${s}\x1b[0m` : s;
}

export function dim(s: string, stream: NodeJS.WriteStream = process.stdout): string {
  return useColor(stream) ? `\x1b[2m${s}\x1b[0m` : s;
}

/** A plain-text table with aligned columns (numbers right-aligned). */
export function table(headers: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = rows.map((r) => r.map((c) => String(c)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'));
  const line = (r: readonly string[]): string =>
    r.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

export function log(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A single overwritten progress line on a terminal (stderr); silent when not a TTY. */
export class Progress {
  private readonly tty = process.stderr.isTTY === true;
  private last = '';
  update(msg: string): void {
    if (!this.tty) return;
    this.last = msg;
    process.stderr.write(`\r\x1b[2K${msg}`);
  }
  done(): void {
    if (this.tty && this.last) process.stderr.write('\r\x1b[2K');
    this.last = '';
  }
}
