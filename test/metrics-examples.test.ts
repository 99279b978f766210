import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { TestGateway } from './helpers/gateway';
import { parseExposition } from './helpers/prometheus-text';

const FOLDER = path.join(__dirname, '..', '..', 'examples', 'prometheus');
const load = (file: string): any => parse(readFileSync(path.join(FOLDER, file), 'utf8'));

describe('examples/prometheus', () => {
  it('prometheus.yml scrapes /metrics with a bearer token and loads the alert rules', () => {
    const config = load('prometheus.yml');
    assert.deepEqual(config.rule_files, ['freshet-alerts.yml']);
    const [job] = config.scrape_configs;
    assert.equal(job.job_name, 'freshet');
    assert.equal(job.metrics_path, '/metrics');
    assert.equal(job.authorization.type, 'Bearer');
    assert.equal(typeof job.authorization.credentials_file, 'string');
    assert.match(job.static_configs[0].targets[0], /^[\w.-]+:\d+$/);
  });

  it('freshet-alerts.yml: every rule is complete and asks only for metrics a gateway serves', async () => {
    const rules: any[] = load('freshet-alerts.yml').groups.flatMap((g: any) => g.rules);
    assert.deepEqual(
      rules.map((r) => r.alert),
      [
        'FreshetTableLagOverTarget',
        'FreshetTableStale',
        'FreshetRefreshFailures',
        'FreshetSchedulerDrift',
        'FreshetDown',
      ],
    );
    const gw = await TestGateway.start();
    let served: Set<string>;
    try {
      const text = await (await fetch(`${gw.url}/metrics`)).text();
      served = new Set(parseExposition(text).types.keys());
    } finally {
      await gw.close();
    }
    for (const rule of rules) {
      assert.equal(typeof rule.expr, 'string', rule.alert);
      assert.match(rule.for, /^\d+[smh]$/, rule.alert);
      assert.ok(['warning', 'critical'].includes(rule.labels.severity), rule.alert);
      assert.ok(rule.annotations.summary.length > 0, rule.alert);
      for (const name of rule.expr.match(/\bfreshet_\w+/g) ?? []) assert.ok(served.has(name), `${rule.alert}: ${name}`);
    }
  });
});
