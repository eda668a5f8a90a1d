import { tmpdir } from 'node:os';
import { join } from 'node:path';

process.env.NODE_ENV = 'test';
process.env.LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'silent';
// Tests start their own Stripe sandbox where they need one; elsewhere Stripe is unreachable
// (port 9 refuses at once), which the product must bear.
process.env.SANDBOX = 'false';
process.env.STRIPE_SECRET_KEY = 'sk_test_tests';
process.env.STRIPE_WEBHOOK_SECRET = 'whsec_tests_secret';
process.env.STRIPE_API_BASE = 'http://127.0.0.1:9';
// Suppliers likewise: tests that book start their own simulators.
process.env.SUPPLIER_HERTZ_URL = 'http://127.0.0.1:9';
process.env.SUPPLIER_BUDGET_URL = 'http://127.0.0.1:9';
process.env.SUPPLIER_EUROPCAR_URL = 'http://127.0.0.1:9';
// Rate limits: the tests that are about them set their own; the others send hundreds of
// requests from one address.
process.env.RATE_LIMIT_CREATE_PER_MINUTE = '1000000000';
process.env.RATE_LIMIT_LOOKUP_PER_MINUTE = '1000000000';
// Receipt e-mails: tests that check them start their own SMTP server; elsewhere they are
// written as .eml files here, not into the working tree.
process.env.MAIL_DIR = join(tmpdir(), `reservations-tests-mail-${process.pid}`);
