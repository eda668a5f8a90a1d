/**
 * The lib graph of docs/architecture.md ("Which lib may import which"), checked by `npm run lint`.
 * The first rules are the "nevers" of the intended graph, each with its reason; then the arrows
 * each lib may have (which keeps the graph acyclic), cycles, and the public face of each lib.
 */
const LIBS = ['core', 'catalog', 'outbox', 'reservations', 'payments', 'stripe-webhook', 'supplier-booking', 'receipts', 'lifecycle-events', 'sandbox'];

/** What each lib may import besides itself: the arrows of the intended graph. */
const ALLOWED = {
  core: [],
  catalog: ['core'],
  outbox: ['core'],
  reservations: ['catalog', 'outbox', 'core'],
  payments: ['reservations', 'outbox', 'core'],
  'stripe-webhook': ['payments', 'reservations', 'core'],
  'supplier-booking': ['reservations', 'payments', 'outbox', 'core'],
  receipts: ['reservations', 'supplier-booking', 'catalog', 'outbox', 'core'],
  'lifecycle-events': ['reservations', 'outbox', 'core'],
  sandbox: ['payments', 'supplier-booking', 'core'],
};

const lib = (...names) => `^libs/(${names.join('|')})/`;
const never = (name, comment, from, to) => ({ name, comment, severity: 'error', from: { path: from }, to: { path: to } });

module.exports = {
  forbidden: [
    never('core-knows-no-feature', 'The core knows no feature and sits below the outbox engine.', lib('core'), '^libs/(?!core/)'),
    never('outbox-knows-no-event-type', 'The engine knows no event type: it imports the core only.', lib('outbox'), '^libs/(?!outbox/|core/)'),
    never(
      'reservations-knows-no-driver',
      'The aggregate knows nothing of who drives it (payments, webhook, supplier booking, receipts) or listens to it (lifecycle events): no lib cycle.',
      lib('reservations'),
      lib('payments', 'stripe-webhook', 'supplier-booking', 'receipts', 'lifecycle-events'),
    ),
    never('payments-knows-no-supplier', 'Payments know no supplier.', lib('payments'), lib('supplier-booking')),
    never(
      'catalog-knows-no-reservation',
      'Reference data knows no reservation.',
      lib('catalog'),
      lib('reservations', 'payments', 'stripe-webhook', 'supplier-booking', 'receipts'),
    ),
    never(
      'product-code-no-sandbox',
      'Product code never depends on simulators; only the API composes the sandbox (when SANDBOX is on).',
      `^(apps/cli/|libs/(?!sandbox/))`,
      lib('sandbox'),
    ),
    never(
      'sandbox-knows-nothing-of-us',
      'A stand-in for the outside world knows nothing of us: no reservation code (Stripe and supplier config only).',
      lib('sandbox'),
      lib('reservations', 'stripe-webhook', 'receipts'),
    ),
    ...LIBS.map((name) => ({
      name: `only-drawn-arrows-from-${name}`,
      comment: `libs/${name} imports only ${ALLOWED[name].join(', ') || 'no other lib'} (the intended lib graph, acyclic).`,
      severity: 'error',
      from: { path: lib(name) },
      to: { path: '^libs/', pathNot: lib(name, ...ALLOWED[name]) },
    })),
    {
      name: 'no-cycle-between-libs',
      comment: 'A cycle of imports that leaves a lib and comes back to it.',
      severity: 'error',
      from: { path: '^libs/([^/]+)/' },
      to: { circular: true, via: { pathNot: '^libs/$1/' } },
    },
    {
      name: 'no-lib-cycle',
      comment: 'Libs depend on each other without a cycle (counted per lib folder).',
      severity: 'error',
      scope: 'folder',
      from: { path: '^libs/[^/]+/src$' },
      to: { path: '^libs/[^/]+/src$', circular: true },
    },
    {
      name: 'libs-use-public-faces',
      comment: 'Another lib is imported through its index (@app/<lib>), never through its files or its testing entry.',
      severity: 'error',
      from: { path: '^libs/([^/]+)/' },
      to: { path: '^libs/', pathNot: ['^libs/$1/', '^libs/[^/]+/src/index\\.ts$'] },
    },
    {
      name: 'apps-use-public-faces',
      comment:
        'The apps compose libs through their indexes (@app/<lib>); an entry file loads tracing first through the core\'s instrumentation entry (@app/core/instrumentation).',
      severity: 'error',
      from: { path: '^apps/' },
      to: { path: '^libs/', pathNot: ['^libs/[^/]+/src/index\\.ts$', '^libs/core/src/instrumentation\\.ts$'] },
    },
    {
      name: 'tests-use-public-faces',
      comment: 'Tests, benchmarks and scripts import a lib through its index or its testing entry (@app/<lib>/testing), or the core\'s instrumentation entry.',
      severity: 'error',
      from: { path: '^(test|bench|scripts)/' },
      to: { path: '^libs/', pathNot: ['^libs/[^/]+/src/(index|testing)\\.ts$', '^libs/core/src/instrumentation\\.ts$'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|coverage|var)/' },
    // Type-only imports count: a lib that names another's types depends on it.
    tsPreCompilationDeps: true,
    // Resolves the @app/* aliases.
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
