// report.html of a run directory: read the run (runs/), render it (report/), write it atomically beside the run's files.
import { writeFileAtomic } from '../io/atomic.js';
import { runReport } from '../report/run-report.js';
import { loadRun } from '../runs/inspect.js';
import { REPORT_FILE, RunDir } from '../runs/run-dir.js';
import { log } from './output.js';

/** Write DIR/report.html from the run's files; returns its path. */
export async function writeRunReport(dir: string): Promise<string> {
  const run = RunDir.open(dir);
  const html = await runReport(loadRun(run.dir));
  writeFileAtomic(run.path(REPORT_FILE), html);
  return run.path(REPORT_FILE);
}

/** writeRunReport for the end of a training command: a report that cannot be made is a warning, never a failed run. */
export async function finishReport(dir: string, quiet: boolean): Promise<string | null> {
  try {
    const p = await writeRunReport(dir);
    if (!quiet) log(`report: ${p}`);
    return p;
  } catch (e) {
    log(`warning: report.html not written: ${(e as Error).message}`);
    return null;
  }
}
