// The playground's static file server (node:http): GET/HEAD only, MIME types, nothing outside the folder; used by `adaptlab play`.
import { createReadStream, existsSync, realpathSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { packageRoot } from '../core/package.js';
import { FormatError } from '../core/errors.js';

/** MIME types of the files a static playground holds; anything else is application/octet-stream. */
export const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.safetensors': 'application/octet-stream',
};

/** The built playground (scripts/build-browser.mjs assembles it from play/ and the browser bundle). */
export function defaultPlayDir(): string {
  return join(packageRoot(), 'dist', 'play');
}

/**
 * The file a URL path names inside `root`, or null (→ 404): the path is percent-decoded once, and a path with a
 * `..` segment, a NUL, a backslash, or one that resolves (symbolic links followed) outside `root` names nothing.
 * A directory stands for its index.html.
 */
export function resolveStaticPath(root: string, urlPath: string): string | null {
  let path: string;
  try {
    path = decodeURIComponent(urlPath.split('?')[0]!.split('#')[0]!);
  } catch {
    return null;
  }
  if (!path.startsWith('/') || path.includes('\0') || path.includes('\\')) return null;
  if (path.split('/').some((s) => s === '..')) return null;
  const base = realpathSync(root);
  let file = resolve(base, `.${path}`);
  if (file !== base && !file.startsWith(base + sep)) return null;
  if (!existsSync(file)) return null;
  file = realpathSync(file);
  if (file !== base && !file.startsWith(base + sep)) return null;
  const st = statSync(file);
  if (st.isDirectory()) {
    const index = join(file, 'index.html');
    return existsSync(index) && statSync(index).isFile() ? index : null;
  }
  return st.isFile() ? file : null;
}

function send(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', ...extra });
  res.end(`${text}\n`);
}

export interface StaticServer {
  server: Server;
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Serve `root` over HTTP on `host:port` (default 127.0.0.1, port 0 = any free port). Only GET and HEAD (405
 * otherwise); paths outside the folder are 404. Files are sent with their MIME type and `Cache-Control: no-cache`.
 * @example const s = await serveStatic({ root: defaultPlayDir(), port: 8080 }); console.log(s.url);
 */
export async function serveStatic(opts: { root: string; host?: string; port?: number; log?: (line: string) => void }): Promise<StaticServer> {
  const root = resolve(opts.root);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new FormatError(root, 'not a directory (build the playground with `npm run build`)');
  const host = opts.host ?? '127.0.0.1';
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed', { Allow: 'GET, HEAD' });
    const file = resolveStaticPath(root, req.url ?? '/');
    opts.log?.(`${req.method} ${req.url} ${file ? 200 : 404}`);
    if (!file) return send(res, 404, 'not found');
    const type = MIME[extname(file).toLowerCase()] ?? 'application/octet-stream';
    res.writeHead(200, { 'Content-Type': type, 'Content-Length': statSync(file).size, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file).on('error', () => res.destroy()).pipe(res);
  };
  const server = createServer(handler);
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 0, host, () => ok());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    server, port, url: `http://${shown}:${port}/`,
    close: () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}
