/** Drives HTTP load with autocannon and boils its result down to what the callback benchmark reports. */
import autocannon from 'autocannon';

export interface LoadOptions {
  readonly url: string;
  readonly durationSeconds: number;
  readonly connections: number;
  /** The JSON body of every request, or a function giving the body of the n-th request. */
  readonly body: unknown | ((n: number) => unknown);
  /** Called with the parsed body of every 2xx response. */
  readonly onAnswer?: (body: any) => void;
}

export interface LoadResult {
  /** Mean of the per-second request counts. */
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly ok: number;
  readonly notOk: number;
  /** Connection errors, timeouts included. */
  readonly errors: number;
  readonly seconds: number;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { body, onAnswer } = options;
  let sent = 0;
  const bodyOf = typeof body === 'function' ? (body as (n: number) => unknown) : null;
  const fixed = bodyOf === null ? JSON.stringify(body) : '';
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationSeconds,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: fixed,
    requests: [
      {
        ...(bodyOf === null
          ? {}
          : { setupRequest: (request) => ({ ...request, body: JSON.stringify(bodyOf(sent++)) }) }),
        ...(onAnswer === undefined
          ? {}
          : {
              onResponse: (status: number, text: string) => {
                if (status >= 200 && status < 300) onAnswer(JSON.parse(text));
              },
            }),
      },
    ],
  });
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    ok: result['2xx'],
    notOk: result.non2xx,
    errors: result.errors,
    seconds: result.duration,
  };
}
