// The adaptlab command line: dispatch to commands, map errors to exit codes (0 ok, 1 failed, 2 usage).
import { AdaptlabError } from '../core/errors.js';
import { UsageError, type Command } from './command.js';
import { bench } from './bench.js';
import { data } from './data.js';
import { doctor } from './doctor.js';
import { metaTestCommand, metaTrainCommand } from './meta.js';
import { estimateCommand, finetuneCommand, pretrainCommand } from './transfer.js';
import { bold } from './output.js';
import { packageVersion } from '../core/package.js';

export const COMMANDS: Command[] = [doctor, bench, data, metaTrainCommand, metaTestCommand, pretrainCommand, finetuneCommand, estimateCommand];

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
    'Environment: ADAPTLAB_BACKEND=auto|native|ts, ADAPTLAB_THREADS=N, NO_COLOR.',
    'Exit codes: 0 ok, 1 failed, 2 usage error.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  // output piped into `head` and closed early is not an error
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
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
    return await cmd.run(rest);
  } catch (e) {
    const err = e as Error & { code?: string };
    if (e instanceof UsageError || err.code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`adaptlab ${cmd.name}: ${err.message}\nUsage: ${cmd.usage}\n`);
      return 2;
    }
    if (e instanceof AdaptlabError) {
      process.stderr.write(`adaptlab ${cmd.name}: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`adaptlab ${cmd.name}: unexpected error: ${err.stack ?? err.message}\n`);
    return 1;
  }
}
