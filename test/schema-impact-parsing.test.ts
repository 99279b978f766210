import { strict as assert } from 'node:assert';
import { readTableChanges, type TableChange } from '../src/sql/alter-table-changes';
import { readColumnRefs } from '../src/sql/column-refs';

/** What the schema-change check reads from an ALTER TABLE and from a dependent's query, in each dialect. */
describe('schema impact: reading ALTER TABLE changes', () => {
  const cases: Array<[string, TableChange[]]> = [
    ['ALTER TABLE orders ADD COLUMN note TEXT', [{ kind: 'addColumn' }]],
    ['alter table "orders" add note text', [{ kind: 'addColumn' }]],
    ['ALTER TABLE orders DROP COLUMN amount', [{ kind: 'dropColumn', column: 'amount' }]],
    [
      'ALTER TABLE IF EXISTS ONLY public.orders DROP IF EXISTS "Amount" CASCADE',
      [{ kind: 'dropColumn', column: 'Amount' }],
    ],
    ['ALTER TABLE orders RENAME COLUMN region TO area', [{ kind: 'renameColumn', column: 'region', to: 'area' }]],
    ['ALTER TABLE orders RENAME region TO area', [{ kind: 'renameColumn', column: 'region', to: 'area' }]],
    ['ALTER TABLE orders RENAME TO orders2', [{ kind: 'renameTable' }]],
    ['ALTER TABLE orders RENAME orders2', [{ kind: 'renameTable' }]],
    ['ALTER TABLE orders SET SCHEMA archive', [{ kind: 'renameTable' }]],
    ['RENAME TABLE orders TO orders2', [{ kind: 'renameTable' }]],
    [
      'ALTER TABLE orders ALTER COLUMN amount TYPE numeric(10, 2) USING amount::numeric',
      [{ kind: 'retypeColumn', column: 'amount', type: 'numeric(10, 2)' }],
    ],
    ['ALTER TABLE orders ALTER amount SET DATA TYPE text', [{ kind: 'retypeColumn', column: 'amount', type: 'text' }]],
    ['ALTER TABLE orders ALTER COLUMN amount SET DEFAULT 0', [{ kind: 'keepsColumns' }]],
    [
      'ALTER TABLE orders MODIFY amount VARCHAR(20) NOT NULL',
      [{ kind: 'retypeColumn', column: 'amount', type: 'VARCHAR(20)' }],
    ],
    ['ALTER TABLE orders CHANGE region area VARCHAR(20)', [{ kind: 'renameColumn', column: 'region', to: 'area' }]],
    ['ALTER TABLE orders CHANGE amount amount BIGINT', [{ kind: 'retypeColumn', column: 'amount', type: 'BIGINT' }]],
    [
      'ALTER TABLE orders ADD CONSTRAINT pk PRIMARY KEY (id, region), DROP INDEX ix, ADD COLUMN c INT, DROP COLUMN note',
      [
        { kind: 'keepsColumns' },
        { kind: 'keepsColumns' },
        { kind: 'addColumn' },
        { kind: 'dropColumn', column: 'note' },
      ],
    ],
    ['ALTER TABLE orders OWNER TO someone', [{ kind: 'keepsColumns' }]],
    ['ALTER TABLE orders FROBNICATE amount', [{ kind: 'unknown', text: 'FROBNICATE amount' }]],
  ];
  for (const [statement, expected] of cases) {
    it(statement, () => assert.deepEqual(readTableChanges(statement), expected));
  }
});

describe('schema impact: reading the columns a query reads', () => {
  it('resolves aliases, keeps unqualified names unqualified and marks stars', () => {
    assert.deepEqual(
      readColumnRefs(
        'SELECT r.region, SUM(revenue) AS total FROM region_sales r JOIN x ON x.id = r.id GROUP BY r.region',
        'sqlite',
      ),
      [
        { table: 'region_sales', column: 'region' },
        { table: null, column: 'revenue' },
        { table: 'x', column: 'id' },
        { table: 'region_sales', column: 'id' },
      ],
    );
    assert.deepEqual(readColumnRefs('SELECT o.*, amount FROM test.orders o', 'mysql'), [
      { table: 'orders', column: '*' },
      { table: null, column: 'amount' },
    ]);
    assert.deepEqual(readColumnRefs('SELECT * FROM orders', 'postgresql'), [{ table: null, column: '*' }]);
  });

  it('says so when no grammar can read the query', () => {
    assert.equal(readColumnRefs('SELECT FROM WHERE', 'sqlite'), null);
  });
});
