-- The readiness example (see README.md): run as a token with the admin scope, after registering the source.

-- The table the Airflow DAG loads, one hour per run.
CREATE TABLE IF NOT EXISTS orders (
  order_id INTEGER PRIMARY KEY,
  amount REAL NOT NULL,
  created_at TEXT NOT NULL
);

-- Reflection reads max(created_at) as how far the data is available.
ALTER SOURCE public.orders SET ('availability.time_column' = 'created_at');

-- Refreshes an hour only when every partition of public.orders in it is unlocked; waits up to two hours for them.
CREATE DYNAMIC TABLE IF NOT EXISTS orders_hourly
  WITH (
    'readiness.sources' = 'public.orders',
    'readiness.on_not_ready' = 'wait',
    'readiness.timeout' = '2 hours'
  )
  FRESHNESS = INTERVAL '1' HOUR
AS SELECT substr(created_at, 1, 13) AS hour, COUNT(*) AS orders, SUM(amount) AS amount
   FROM orders
   GROUP BY substr(created_at, 1, 13);

-- What the registry knows.
SHOW SOURCES;
SHOW PARTITIONS OF public.orders BETWEEN '2026-01-01T00:00:00Z' AND '2026-01-02T00:00:00Z';
SHOW READINESS OF public.orders FOR '2026-01-01T00:00:00Z' TO '2026-01-01T01:00:00Z';
-- A dynamic table is a source too, under its identifier: ready once its refresh of the hour committed.
SHOW READINESS OF orders_hourly FOR '2026-01-01T00:00:00Z' TO '2026-01-01T01:00:00Z';
