/**
 * A local alert receiver for the alert tests: an HTTP server on port 0 that records every POST to
 * `/hook/:channel`; `failNext` answers a channel's next requests with 500, `holdUntil` holds every answer back.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';

export interface Received {
  readonly channel: string;
  readonly body: any;
  readonly raw: string;
  readonly signature: string | undefined;
  readonly delivery: string | undefined;
}

/** An HTTP receiver on port 0: records every POST; `failNext` answers the next requests of a channel with 500. */
export async function startReceiver() {
  const received: Received[] = [];
  const failNext = new Map<string, number>();
  let hold: Promise<void> | null = null;
  const app = express();
  app.use(express.text({ type: () => true }));
  app.post('/hook/:channel', async (req, res) => {
    const channel = String(req.params.channel);
    if (hold !== null) await hold;
    const fails = failNext.get(channel) ?? 0;
    received.push({
      channel,
      raw: req.body,
      body: JSON.parse(req.body),
      signature: req.header('x-freshet-signature'),
      delivery: req.header('x-freshet-delivery'),
    });
    if (fails > 0) {
      failNext.set(channel, fails - 1);
      res.status(500).send('busy');
      return;
    }
    res.status(200).send('ok');
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    failNext,
    holdUntil(release: Promise<void>) {
      hold = release;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type AlertReceiver = Awaited<ReturnType<typeof startReceiver>>;
