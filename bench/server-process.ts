/**
 * Entry point of the process a benchmark forks to host the server under load, so the load generator and the
 * server do not share one event loop. It serves one {@link ServerSpec}, answers `ready` with its URL, and on
 * `stop` closes everything and lets the process end by itself: a process that does not exit after `stop`
 * means the gateway left something running, which the parent reports.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ConfigInput, loadConfig } from '../src/config/config';
import { startGateway } from '../src/gateway';
import { createBareRefreshApp } from './bare-route';
import type { ChildMessage, ParentMessage, ServerSpec } from './server-messages';

type Stop = () => Promise<void>;

async function listenBare(): Promise<{ url: string; stop: Stop }> {
  const app = createBareRefreshApp();
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function startServer(spec: ServerSpec): Promise<{ url: string; stop: Stop }> {
  if (spec.kind === 'bare') return listenBare();
  const config = loadConfig({
    env: {},
    overrides: {
      logLevel: 'silent',
      dataDir: spec.dataDir,
      server: { port: 0 },
      ...(spec.catalogUrl === undefined ? {} : { catalog: { url: spec.catalogUrl } }),
      ...(spec.catalogs === undefined ? {} : { catalogs: { ...spec.catalogs } }),
      ...(spec.discovery === undefined ? {} : { discovery: spec.discovery as ConfigInput['discovery'] }),
    },
  });
  const gateway = await startGateway(config);
  return { url: gateway.url, stop: () => gateway.close() };
}

function main(): void {
  const send = (message: ChildMessage) => process.send?.(message);
  let stop: Stop | null = null;
  let stopping: Promise<void> | null = null;
  const stopOnce = (): Promise<void> => (stopping ??= stop === null ? Promise.resolve() : stop());

  process.on('message', (message: ParentMessage) => {
    if (message.kind === 'start') {
      startServer(message.spec).then(
        (started) => {
          stop = started.stop;
          send({ kind: 'ready', url: started.url });
        },
        (error: unknown) =>
          send({ kind: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
      );
      return;
    }
    const began = performance.now();
    stopOnce().then(
      () => {
        send({ kind: 'stopped', closeMs: performance.now() - began });
        process.disconnect();
      },
      (error: unknown) => {
        send({ kind: 'failed', message: `close failed: ${error instanceof Error ? error.message : String(error)}` });
        process.disconnect();
      },
    );
  });
  // A benchmark that died must not leave a gateway behind.
  process.on('disconnect', () => void stopOnce());
}

main();
