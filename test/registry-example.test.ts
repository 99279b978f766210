/**
 * examples/readiness: the provider DAG compiles, its tasks (run against stub Airflow modules, in order) register,
 * lock, load and unlock an hour on a real gateway, and the SQL file parses.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { parseScript } from '../src/sql/ddl-parser';
import { TestGateway } from './helpers/gateway';

const EXAMPLE = path.resolve(__dirname, '..', '..', 'examples', 'readiness');
const DAG_FILE = path.join(EXAMPLE, 'orders_loader_dag.py');

/** Just enough of Airflow 2 to declare the DAG: the DAG context and PythonOperator with `>>`. */
const STUBS: Record<string, string> = {
  'airflow/__init__.py': `
class DAG:
    current = None
    def __init__(self, dag_id, **kwargs):
        self.dag_id, self.kwargs, self.tasks = dag_id, kwargs, []
    def __enter__(self):
        DAG.current = self
        return self
    def __exit__(self, *exc):
        DAG.current = None
`,
  'airflow/operators/__init__.py': '',
  'airflow/operators/python.py': `
from airflow import DAG
class PythonOperator:
    def __init__(self, task_id, python_callable, op_kwargs=None, **kwargs):
        self.task_id, self.python_callable, self.op_kwargs, self.downstream = task_id, python_callable, op_kwargs or {}, []
        DAG.current.tasks.append(self)
    def __rshift__(self, other):
        self.downstream.append(other)
        return other
`,
};

/** Loads the DAG file, then runs its tasks in dependency order with the templates rendered for one interval. */
const DRIVER = `
import importlib.util, json, sys
sys.path.insert(0, sys.argv[1])
spec = importlib.util.spec_from_file_location("orders_loader_dag", sys.argv[2])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
values = {"{{ data_interval_start }}": sys.argv[3], "{{ data_interval_end }}": sys.argv[4]}
tasks = module.dag.tasks
ran = []
pending = [t for t in tasks if not any(t in other.downstream for other in tasks)]
while pending:
    task = pending.pop(0)
    task.python_callable(**{k: values.get(v, v) for k, v in task.op_kwargs.items()})
    ran.append(task.task_id)
    pending.extend(task.downstream)
print(json.dumps({"dag_id": module.dag.dag_id, "ran": ran}))
`;

describe('examples/readiness', function () {
  this.timeout(60_000);
  let folder: string;

  before(() => {
    folder = mkdtempSync(path.join(os.tmpdir(), 'freshet-readiness-example-'));
    for (const [file, text] of Object.entries(STUBS)) {
      mkdirSync(path.dirname(path.join(folder, 'stubs', file)), { recursive: true });
      writeFileSync(path.join(folder, 'stubs', file), text);
    }
    writeFileSync(path.join(folder, 'driver.py'), DRIVER);
  });
  after(() => rmSync(folder, { recursive: true, force: true }));

  it('compiles the DAG with python3', async () => {
    const script = 'import py_compile, sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True)';
    await promisify(execFile)('python3', ['-c', script, DAG_FILE, path.join(folder, 'dag.pyc')]);
  });

  it('parses the SQL file', () => {
    const kinds = parseScript(readFileSync(path.join(EXAMPLE, 'orders.sql'), 'utf8')).map((s) => s.kind);
    assert.deepEqual(kinds, [
      'passthrough',
      'alterSource',
      'createDynamicTable',
      'showSources',
      'showPartitions',
      'showReadiness',
      'showReadiness',
    ]);
  });

  it("registers, locks, loads and unlocks an hour on a gateway with the DAG's own tasks, also when run again", async () => {
    const gw = await TestGateway.start();
    try {
      await gw.sql(
        'CREATE TABLE orders (order_id INTEGER PRIMARY KEY, amount REAL NOT NULL, created_at TEXT NOT NULL)',
      );
      const created = await gw.request('POST', '/v3/sources', { name: 'public.orders', owner: 'data@example.com' });
      assert.equal(created.status, 201);
      const env = { ...process.env, FRESHET_URL: gw.url, FRESHET_SOURCE_TOKEN: created.body.accessToken };
      const run = () =>
        promisify(execFile)(
          'python3',
          [
            path.join(folder, 'driver.py'),
            path.join(folder, 'stubs'),
            DAG_FILE,
            '2026-01-01T00:00:00+00:00',
            '2026-01-01T01:00:00+00:00',
          ],
          { env },
        );
      const { stdout } = await run();
      assert.deepEqual(JSON.parse(stdout), { dag_id: 'orders_loader', ran: ['register_and_lock', 'load', 'unlock'] });
      const readiness = '/v3/sources/public.orders/readiness?start=2026-01-01T00:00:00Z&end=2026-01-01T01:00:00Z';
      assert.equal((await gw.request('GET', readiness)).body.ready, true);
      await run();
      assert.equal((await gw.request('GET', readiness)).body.ready, true);
      const detail = await gw.request('GET', '/v3/sources/public.orders');
      assert.deepEqual(
        detail.body.latestEvents.map((e: any) => e.event),
        ['UNLOCK', 'LOCK', 'UNLOCK', 'LOCK'],
      );
      assert.deepEqual(
        detail.body.providers.map((p: any) => p.name),
        ['airflow.orders_loader'],
      );
      assert.deepEqual(await gw.rows('SELECT COUNT(*) FROM orders'), [[2]]);
    } finally {
      await gw.close();
    }
  });
});
