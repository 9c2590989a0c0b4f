#!/usr/bin/env bash
# Every test of the project, on a fresh machine: installs what is missing, then runs
# type checks, lint (Biome: rules and formatting, biome.jsonc), vitest (unit + WebGPU kernels/nets in Node through Dawn on SwiftShader), Playwright (same GPU checks in
# headless Chromium, demo end-to-end, npm pack-and-install) and pytest (trainer/exporter). Ends with one summary line.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --python || exit 1

export VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json
mkdir -p test-results
failed_steps=()
step() { local name=$1; shift; echo "=== $name: $*"; "$@" || failed_steps+=("$name"); }

step typecheck npm run --silent typecheck
step lint npm run --silent lint
step lint-python .venv/bin/ruff check tools
step vitest npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json
step playwright env PLAYWRIGHT_JSON_OUTPUT_NAME=test-results/playwright.json npx playwright test --reporter=list,json
step pytest .venv/bin/python -m pytest tools/tests -q --junitxml=test-results/pytest.xml

node scripts/summarize-tests.mjs test-results || failed_steps+=(summary)
if [ ${#failed_steps[@]} -gt 0 ]; then
  echo "failed steps: ${failed_steps[*]}"
  exit 1
fi
