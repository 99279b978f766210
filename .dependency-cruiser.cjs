/**
 * Freshet's import rules (DESIGN.md §2 and §7), checked by `npm run deps` as part of `npm test`. Each rule's
 * comment says what to do instead of the import it forbids.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'Modules import each other in a cycle (type-only imports count). Move what both need into a module that ' +
        'neither of them imports (shared value types into src/model.ts), or pass it in as a parameter.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'model-imports-nothing',
      severity: 'error',
      comment:
        'src/model.ts holds the shared value types and imports nothing, so that every layer may import it. ' +
        'Define the type in src/model.ts itself, or keep it in the module that owns it.',
      from: { path: '^src/model\\.ts$' },
      to: {},
    },
    {
      name: 'sql-not-engine',
      severity: 'error',
      comment:
        'The SQL front-end does not know the engines. Take the dialect (SqlDialect) and value types from ' +
        'src/model.ts; let the engine import src/sql, not the other way round.',
      from: { path: '^src/sql/' },
      to: { path: '^src/engine/' },
    },
    {
      name: 'catalog-stores-only',
      severity: 'error',
      comment:
        'The catalog stores; it does not execute, schedule, parse or decide. Take value types from src/model.ts ' +
        'and let the manager call the engine, scheduler or SQL front-end and hand the catalog the results.',
      from: { path: '^src/catalog/' },
      to: { path: '^src/(engine|scheduler|sql|manager|refresh|rest)/' },
    },
    {
      name: 'plugins-through-public-entry',
      severity: 'error',
      comment:
        'Scheduler plugins (plugins/, examples/) import Freshet only through its plugin API, src/plugin-api.ts. ' +
        'If a plugin needs something more, export it from src/plugin-api.ts (without importing anything that ' +
        'loads plugins). src/index.ts re-exports the plugin API, but importing it from a shipped plugin is a cycle.',
      from: { path: '^(plugins|examples)/' },
      to: { path: '^src/', pathNot: '^src/(plugin-api|index)\\.ts$' },
    },
    {
      name: 'engines-do-not-reach-up',
      severity: 'error',
      comment:
        'An engine executes what it is asked and reports back; it does not call the manager, refresh runner, ' +
        'catalog, REST layer or scheduler. Return the result (or take a callback or value from src/model.ts).',
      from: { path: '^src/engine/' },
      to: { path: '^src/(manager|refresh|catalog|rest|scheduler)/' },
    },
    {
      name: 'rest-translates',
      severity: 'error',
      comment:
        'The REST layer only translates HTTP to manager calls and errors to HTTP. Call the manager (or a service ' +
        'it provides) instead of the catalog or an engine.',
      from: { path: '^src/rest/' },
      to: { path: '^src/(catalog|engine)/' },
    },
    {
      name: 'sql-is-a-leaf',
      severity: 'error',
      comment:
        'The SQL front-end parses and classifies text; it knows nothing of where tables live or who runs them. ' +
        'Take value types from src/model.ts and let the manager (or an engine) combine SQL with the rest.',
      from: { path: '^src/sql/' },
      to: {
        path: '^src/(catalog|engine|scheduler|refresh|replica|manager|rest|cli|config)/|^src/(gateway|index|plugin-api)\\.ts$',
      },
    },
    {
      name: 'schedulers-know-no-core',
      severity: 'error',
      comment:
        'The scheduler side (the WorkflowScheduler interface, its registry, the embedded scheduler) talks to the ' +
        'rest of Freshet only through the SchedulerContext it is given. Put what it needs in that context or in ' +
        'src/model.ts.',
      from: { path: '^src/scheduler/' },
      to: { path: '^src/(catalog|engine|sql|refresh|replica|manager|rest|cli|config)/|^src/(gateway|index)\\.ts$' },
    },
    {
      name: 'runner-below-manager',
      severity: 'error',
      comment:
        'The refresh runner and the replica leases run what the manager decided; they do not call the manager, ' +
        'the REST layer, the CLI or the configuration. Take what they need as a constructor argument (as the ' +
        'runner takes its TableRefresher).',
      from: { path: '^src/(refresh|replica)/' },
      to: { path: '^src/(manager|rest|cli|config|sql)/|^src/(gateway|index)\\.ts$' },
    },
    {
      name: 'manager-below-edges',
      severity: 'error',
      comment:
        'The manager decides; the REST layer, the CLI and src/gateway.ts call it, never the other way round. ' +
        'Return a value (or throw a FreshetError) and let the edge translate it.',
      from: { path: '^src/manager/' },
      to: { path: '^src/(rest|cli|config)/|^src/(gateway|index)\\.ts$' },
    },
    {
      name: 'only-the-gateway-assembles',
      severity: 'error',
      comment:
        'src/gateway.ts assembles the parts; only the CLI and the public entry import it. Ask for the part you ' +
        'need as a parameter instead.',
      from: { path: '^src/', pathNot: '^src/(cli/|index\\.ts$)' },
      to: { path: '^src/gateway\\.ts$' },
    },
    {
      name: 'no-dev-from-src',
      severity: 'error',
      comment:
        'Shipped code must not import tests or benchmarks. Move what it needs into src/ (tests may import src/).',
      from: { path: '^(src|plugins|examples)/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'no-dev-dependencies-in-shipped-code',
      severity: 'error',
      comment:
        'Shipped code imports a package that is only a devDependency. Move the package to "dependencies" in ' +
        'package.json, or keep the import in test/ or bench/.',
      from: { path: '^(src|plugins)/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-undeclared-packages',
      severity: 'error',
      comment:
        'This package is not in package.json (it may still sit in node_modules as a leftover or as a dependency ' +
        'of a dependency). Add it to "dependencies", or use what Freshet already has (fetch: src/http-request.ts).',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown', 'unknown', 'undetermined'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports are dependencies too: a cycle through types still ties the modules together.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
