// Adds up the three runners' machine-readable reports into one closing line: "tests: N passed, N failed, N skipped".
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'test-results';
const totals = { passed: 0, failed: 0, skipped: 0 };
const add = (runner, passed, failed, skipped) => {
  console.log(`${runner}: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  totals.passed += passed;
  totals.failed += failed;
  totals.skipped += skipped;
};

const readJson = (file) =>
  existsSync(join(dir, file)) ? JSON.parse(readFileSync(join(dir, file), 'utf8')) : undefined;

const vitest = readJson('vitest.json');
if (vitest) add('vitest', vitest.numPassedTests, vitest.numFailedTests, vitest.numPendingTests + vitest.numTodoTests);
else (totals.failed += 1), console.log('vitest: no report');

const playwright = readJson('playwright.json');
if (playwright) {
  const s = playwright.stats;
  // "flaky" passed on its retry (the rare SwiftShader GPU-process start failure).
  add('playwright', s.expected + s.flaky, s.unexpected, s.skipped);
} else (totals.failed += 1), console.log('playwright: no report');

if (existsSync(join(dir, 'pytest.xml'))) {
  const xml = readFileSync(join(dir, 'pytest.xml'), 'utf8');
  const attr = (name) => Number(new RegExp(`<testsuite\\b[^>]*\\s${name}="(\\d+)"`).exec(xml)?.[1] ?? 0);
  const tests = attr('tests'),
    failures = attr('failures') + attr('errors'),
    skipped = attr('skipped');
  add('pytest', tests - failures - skipped, failures, skipped);
} else (totals.failed += 1), console.log('pytest: no report');

console.log(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed > 0 || totals.passed === 0 ? 1 : 0);
