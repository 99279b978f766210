/**
 * `/console`: the web console (DESIGN.md §12). Static HTML, CSS and ES modules from src/console (no build step) and
 * the graph libraries from node_modules, served before authentication like `/docs`: the files say nothing about this
 * gateway, and the page asks for a token when the API answers 401 (keeping it in sessionStorage, for the tab only).
 * The console calls nothing but the public REST API.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { type Express, type Response, Router } from 'express';
import { sendError } from './error-handler';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/**
 * Cytoscape adds this one stylesheet to the page when it draws a graph; allowing exactly it (by its hash) keeps every
 * other inline style and script out. The console's own CSS sets the same rule, so a later cytoscape that writes a
 * different text loses nothing but the browser's console warning.
 */
const CYTOSCAPE_STYLE = '.__________cytoscape_container { position: relative; }';

function contentSecurityPolicy(): string {
  const styleHash = createHash('sha256').update(CYTOSCAPE_STYLE).digest('base64');
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' 'sha256-${styleHash}'`,
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * The console's folder: src/console next to this file when run from source, and the package's src/console when run
 * compiled (dist/src/rest), since tsc copies no assets. Undefined when the package was installed without it.
 */
export function consoleFolder(): string | undefined {
  for (const up of ['../console', '../../../src/console']) {
    const folder = path.resolve(__dirname, up);
    if (existsSync(path.join(folder, 'index.html'))) return folder;
  }
  return undefined;
}

/** The library files the console loads, by the name it asks for: only these are served from node_modules. */
export function vendorFiles(): ReadonlyMap<string, string> {
  const dagreLayout = require.resolve('cytoscape-dagre/cytoscape-dagre.js');
  return new Map([
    ['cytoscape.min.js', require.resolve('cytoscape/dist/cytoscape.min.js')],
    // dagre is cytoscape-dagre's own dependency: found from there, wherever npm put it.
    ['dagre.min.js', require.resolve('dagre/dist/dagre.min.js', { paths: [path.dirname(dagreLayout)] })],
    ['cytoscape-dagre.js', dagreLayout],
  ]);
}

/** The console's own files by name: the top level of its folder, with a type it is known to serve. */
function consoleFiles(folder: string | undefined): ReadonlyMap<string, string> {
  if (folder === undefined) return new Map();
  const names = readdirSync(folder, { withFileTypes: true })
    .filter((entry) => entry.isFile() && CONTENT_TYPES[path.extname(entry.name)] !== undefined)
    .map((entry) => entry.name);
  return new Map(names.map((name) => [name, path.join(folder, name)]));
}

function sendFile(res: Response, file: string, policy: string): void {
  res.set({
    'Content-Type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
    'Content-Security-Policy': policy,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    // Revalidated on every load, so that a gateway upgrade shows its console at once.
    'Cache-Control': 'no-cache',
  });
  res.sendFile(file, { etag: true, lastModified: true });
}

/** `/console` and everything under it, before authentication. */
export function addConsole(app: Express): void {
  const own = consoleFiles(consoleFolder());
  const vendor = vendorFiles();
  const policy = contentSecurityPolicy();
  const router = Router();
  const missing = (res: Response, what: string) =>
    sendError(res, 'NOT_FOUND', `The console has no file ${what}; open /console/.`);

  router.get('/', (req, res) => {
    // The page's relative links need the trailing slash.
    const [pathname = '', query] = req.originalUrl.split('?');
    if (!pathname.endsWith('/')) {
      res.redirect(301, `${pathname}/${query === undefined ? '' : `?${query}`}`);
      return;
    }
    const index = own.get('index.html');
    if (index === undefined) {
      sendError(res, 'NOT_FOUND', "The console's files are not installed with this gateway (src/console).");
      return;
    }
    sendFile(res, index, policy);
  });
  router.get('/vendor/:name', (req, res) => {
    const file = vendor.get(String(req.params.name));
    if (file === undefined) return missing(res, `vendor/${String(req.params.name)}`);
    sendFile(res, file, policy);
  });
  router.get('/:name', (req, res) => {
    const file = own.get(String(req.params.name));
    if (file === undefined) return missing(res, String(req.params.name));
    sendFile(res, file, policy);
  });
  // Anything else under /console (other methods, deeper paths) ends here, not at authentication.
  router.use((req, res) => {
    if (req.method === 'GET' || req.method === 'HEAD') return missing(res, req.path);
    sendError(res, 'NOT_FOUND', `The console's files are read with GET; there is no ${req.method} ${req.originalUrl}.`);
  });
  app.use('/console', router);
}
