// The adaptlab command line: dispatch to commands, map errors to exit codes (0 ok, 1 failed, 2 usage).
import { AdaptlabError } from '../core/errors.js';
import { UsageError, type Command } from './command.js';
import { checkEnvironment } from './flags.js';
import { describeFsError } from '../io/files.js';
import { bench } from './bench.js';
import { data } from './data.js';
import { doctor } from './doctor.js';
import { metaTestCommand, metaTrainCommand } from './meta.js';
import { multitaskCommand } from './multitask.js';
import { estimateCommand, finetuneCommand, pretrainCommand } from './transfer.js';
import { lectureCommand } from './lecture.js';
import { runsCommand } from './runs.js';
import { serveCommand } from './serve.js';
import { playCommand } from './play.js';
import { sweepCommand, workerCommand } from './sweep.js';
import { exitWithParentFromEnv } from '../sweep/parent-watch.js';
import { bold } from './output.js';
import { packageVersion } from '../core/package.js';

export const COMMANDS: Command[] = [lectureCommand, doctor, bench, data, metaTrainCommand, metaTestCommand, pretrainCommand, finetuneCommand, estimateCommand, multitaskCommand, runsCommand, serveCommand, playCommand, sweepCommand, workerCommand];

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `${bold('adaptlab')} ${packageVersion()} — transfer learning, multi-task learning and meta-learning`,
    '',
    'Usage: adaptlab <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Global options:',
    '  --help, -h       show help (also `adaptlab <command> --help`)',
    '  --version, -v    print the version',
    '',
    'Environment: ADAPTLAB_BACKEND=auto|native|ts, ADAPTLAB_THREADS=1..1024 (checked: a bad value is a usage error),',
    'ADAPTLAB_MAX_IMAGE_PIXELS=N (default 16777216), ADAPTLAB_DEBUG=1 (stack of unexpected errors), NO_COLOR,',
    'ADAPTLAB_EXIT_WITH_PARENT=PID (exit when process PID is no longer the parent: set by sweeps for their cells).',
    'Exit codes: 0 ok, 1 failed, 2 usage error.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  // output piped into `head` and closed early is not an error
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    process.stderr.write(`adaptlab: cannot write to standard output: ${err.message}\n`);
    process.exit(1);
  });
  // an error thrown outside the command's promise chain (a stream without a listener, a timer) is reported in one line too
  const late = (e: unknown): void => {
    process.exitCode = report({ name: first ?? '', summary: '', usage: '', run: () => 1 }, e);
    process.exit();
  };
  process.on('uncaughtException', late);
  process.on('unhandledRejection', late);
  exitWithParentFromEnv();
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const target = first === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    process.stdout.write(`${target ? `${target.summary}\n\nUsage: ${target.usage}` : help()}\n`);
    return first === undefined ? 2 : 0;
  }
  if (first === '--version' || first === '-v') {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const cmd = COMMANDS.find((c) => c.name === first);
  if (!cmd) {
    process.stderr.write(`adaptlab: unknown command "${first}"\n\n${help()}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${cmd.summary}\n\nUsage: ${cmd.usage}\n`);
    return 0;
  }
  try {
    checkEnvironment();
    return await cmd.run(rest);
  } catch (e) {
    return report(cmd, e);
  }
}

/**
 * The one place errors become exit codes and one-line messages: usage errors exit 2, everything else 1. No input
 * ever produces a stack trace; an error adaptlab did not expect is still one line (with its stack only when
 * ADAPTLAB_DEBUG is set), and a bare file-system error names its path.
 */
export function report(cmd: Command, e: unknown): number {
  const err = (e instanceof Error ? e : new Error(String(e))) as Error & { code?: string; path?: string; syscall?: string };
  if (e instanceof UsageError || err.code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`adaptlab ${cmd.name}: ${err.message}\nUsage: ${cmd.usage}\n`);
    return 2;
  }
  if (e instanceof AdaptlabError) {
    process.stderr.write(`adaptlab ${cmd.name}: ${err.message}\n`);
    return 1;
  }
  if (typeof err.path === 'string' && typeof err.syscall === 'string') {
    process.stderr.write(`adaptlab ${cmd.name}: ${err.path}: ${describeFsError(err, err.path)} (${err.syscall})\n`);
    return 1;
  }
  const debug = process.env['ADAPTLAB_DEBUG'] ? `\n${err.stack ?? ''}` : ' (a bug: please report it; ADAPTLAB_DEBUG=1 shows where)';
  process.stderr.write(`adaptlab ${cmd.name}: unexpected error: ${err.name}: ${err.message}${debug}\n`);
  return 1;
}
