/**
 * The gateway (`freshet start`) with one difference, for a test that kills it at an exact moment: its SQLite
 * engine's refreshes commit as usual, then write the file named by the first argument and never return, so the
 * catalog never learns that they committed. The test kills the process once the file exists.
 * `node committed-then-stopped-child.js <marker file>`; everything else as for `freshet start`.
 */
import { writeFileSync } from 'node:fs';
import { main } from '../../src/cli/main';
import type { RefreshOutcome, RefreshSpec } from '../../src/engine/engine';
import { SqliteEngine } from '../../src/engine/sqlite/sqlite-engine';

const [marker] = process.argv.slice(2);
if (marker === undefined) throw new Error('usage: <marker file>');
const refresh = SqliteEngine.prototype.refresh;
SqliteEngine.prototype.refresh = async function (this: SqliteEngine, spec: RefreshSpec): Promise<RefreshOutcome> {
  const outcome = await refresh.call(this, spec);
  writeFileSync(marker, JSON.stringify({ refreshId: spec.refreshId ?? null, outcome }));
  return new Promise<RefreshOutcome>(() => undefined);
};

void main(['start']).then((code) => {
  process.exitCode = code;
});
