-- The README quick start as a script: npm run -s freshet -- sql -f examples/quickstart.sql
CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, customer TEXT NOT NULL, amount REAL);
INSERT INTO orders (customer, amount) VALUES ('ada', 10.5), ('ada', 4.5), ('bob', 7);

CREATE DYNAMIC TABLE IF NOT EXISTS spend FRESHNESS = INTERVAL '1' HOUR
  AS SELECT customer, SUM(amount) AS total, COUNT(*) AS orders FROM orders GROUP BY customer;

-- A CONTINUOUS table: freshness below 30 minutes, kept fresh by Freshet itself.
CREATE DYNAMIC TABLE IF NOT EXISTS big_spenders FRESHNESS = INTERVAL '1' MINUTE
  AS SELECT customer, total FROM spend WHERE total > 10;

SELECT * FROM spend ORDER BY customer;
SHOW DYNAMIC TABLES;
