/**
 * `GET /v3/openapi.json` and `/docs`: swagger-ui from the installed swagger-ui-dist package, pointed at the
 * document. Nothing is fetched from elsewhere: no CDN, and swagger-ui's online validator is turned off.
 */
import * as path from 'node:path';
import express, { type Express } from 'express';
import { openApiDocument } from './openapi';

/** Replaces swagger-ui-dist's own initializer, which shows the Petstore example. */
const INITIALIZER = `window.onload = function () {
  var key = 'freshet-token';
  var spec = '../v3/openapi.json';
  function token() { return window.sessionStorage.getItem(key); }
  function bearer() { var t = token(); return t ? { Authorization: 'Bearer ' + t } : {}; }
  function show() {
    window.ui = SwaggerUIBundle({
      url: spec,
      dom_id: '#swagger-ui',
      deepLinking: true,
      validatorUrl: null,
      presets: [SwaggerUIBundle.presets.apis],
      layout: 'BaseLayout',
      requestInterceptor: function (req) {
        var t = token();
        if (t && !req.headers.Authorization) req.headers.Authorization = 'Bearer ' + t;
        return req;
      }
    });
  }
  // A gateway with tokens shows its document to any valid token: ask for one, keep it for this tab.
  fetch(spec, { headers: bearer() }).then(function (res) {
    if (res.status === 401) {
      var t = window.prompt('This gateway needs a bearer token to show its API (any of its tokens will do):');
      if (t) window.sessionStorage.setItem(key, t.trim());
    }
    show();
  }, show);
};
`;

/** The folder of the installed swagger-ui-dist. */
export function swaggerUiFolder(): string {
  return path.dirname(require.resolve('swagger-ui-dist/package.json'));
}

/** `/docs`, before authentication: swagger-ui's files and the initializer are the same for every gateway. */
export function addDocsPage(app: Express): void {
  app.get('/docs/swagger-initializer.js', (_req, res) => {
    res.type('application/javascript').send(INITIALIZER);
  });
  app.use('/docs', express.static(swaggerUiFolder(), { index: 'index.html', redirect: true }));
}

/** `GET /v3/openapi.json`, behind authentication like every route (any valid token may read it). */
export function addOpenApiRoute(app: Express): void {
  app.get('/v3/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });
}
