// `adaptlab play`: serve the one-shot playground (a static folder: page, browser bundle, ProtoNet checkpoint) on 127.0.0.1.
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { defaultPlayDir, serveStatic } from './play-server.js';
import { UsageError, type Command } from './command.js';
import { parseIntFlag } from './flags.js';

export const playCommand: Command = {
  name: 'play',
  summary: 'serve the browser playground: draw one example of each of five symbols, a meta-trained ProtoNet recognises them',
  usage: 'adaptlab play [--port P] [--host 127.0.0.1] [--dir D] [--json]\n\n'
    + 'Serves the static playground (default: the package\'s dist/play, built by npm install / npm run build) until\n'
    + 'interrupted. Everything runs in the page; the server only sends files. --port 0 takes a free port; the first\n'
    + 'line of output is the address (--json: {"url", "port", "dir"}). The folder can be hosted by any static server.',
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv, strict: true, allowPositionals: true,
      options: { port: { type: 'string' }, host: { type: 'string' }, dir: { type: 'string' }, json: { type: 'boolean' } },
    });
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const port = parseIntFlag('port', values.port, 0, 65535) ?? 8080;
    const host = values.host ?? '127.0.0.1';
    if (!host.trim()) throw new UsageError('--host must not be empty');
    const dir = resolve(values.dir ?? defaultPlayDir());
    const s = await serveStatic({ root: dir, host, port });
    process.stdout.write(values.json ? `${JSON.stringify({ url: s.url, port: s.port, dir })}\n` : `adaptlab playground: ${s.url}  (serving ${dir}; Ctrl-C stops)\n`);
    await new Promise<void>((done) => {
      const stop = (): void => { void s.close().then(done); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return 0;
  },
};
