/**
 * A process that runs one incremental refresh and is killed part-way by the test that started it:
 * `node incremental-refresh-child.js <engine url> <base dir> <spec as JSON>`. Prints `refreshing` when it starts
 * and `done` when the refresh committed.
 */
import { createEngine } from '../../src/engine/registry';
import type { IncrementalRefreshSpec } from '../../src/engine/engine';

async function main(): Promise<void> {
  const [url, baseDir, specJson] = process.argv.slice(2);
  if (url === undefined || baseDir === undefined || specJson === undefined)
    throw new Error('usage: <engine url> <base dir> <spec JSON>');
  const engine = createEngine(url, { baseDir });
  await engine.open();
  const spec = JSON.parse(specJson) as IncrementalRefreshSpec;
  process.stdout.write('refreshing\n');
  const outcome = await engine.incremental!.refresh(spec);
  process.stdout.write(`done ${outcome.action ?? 'FULL'}\n`);
  await engine.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
