// `adaptlab serve`: start the local dashboard over a runs directory and keep it running until interrupted.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { serve } from '../serve/server.js';
import { UsageError, type Command } from './command.js';
import { parseIntFlag } from './flags.js';
import { log } from './output.js';
import { DEFAULT_RUNS_DIR } from './runs.js';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'a local dashboard over run directories: run list, reports, comparisons, live curves of running runs',
  usage: [
    'adaptlab serve [--runs DIR] [--port P] [--host H] [--quiet]',
    '',
    `DIR: the runs root (default ./${DEFAULT_RUNS_DIR}). P: the port (default 8080; 0 picks a free one). H: the address to`,
    'listen on, 127.0.0.1 by default (bound to a loopback address, requests must name localhost as their Host).',
    'Pages: / (runs, newest first), /runs/RUN/ (its report, with a live curve while it runs), /runs/RUN/report.html,',
    '/compare?runs=A,B, /api/runs and /api/runs/RUN (JSON), /events/RUN (server-sent events: metrics.jsonl lines).',
    'Paths outside DIR (.., absolute paths, links leading out) are answered 404. Ctrl-C stops the server.',
  ].join('\n'),
  async run(argv) {
    const { values } = parseArgs({ args: argv, strict: true, options: { runs: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' }, quiet: { type: 'boolean' } } });
    const root = resolve(values.runs ?? DEFAULT_RUNS_DIR);
    if (!existsSync(root)) throw new UsageError(`--runs: ${root} does not exist`);
    const port = parseIntFlag('port', values.port, 0, 65535) ?? 8080;
    const host = values.host ?? '127.0.0.1';
    let d;
    try {
      d = await serve({ root, port, host, ...(values.quiet ? {} : { onRequest: (l: string) => log(l) }) });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') throw new UsageError(`port ${port} is in use on ${host}: --port P picks another (0: any free one)`);
      if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EACCES') throw new UsageError(`cannot listen on ${host}:${port} (${code})`);
      throw e;
    }
    process.stdout.write(`adaptlab serve: ${d.url} (runs under ${root}; Ctrl-C stops)\n`);
    if (!['127.0.0.1', 'localhost', '::1'].includes(host)) log(`warning: listening on ${host}: anyone who can reach it can read these runs`);
    await new Promise<void>((done) => {
      const stop = (): void => { process.off('SIGINT', stop); process.off('SIGTERM', stop); void d.close().then(done); };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    return 0;
  },
};
