#!/usr/bin/env bash
# The main job on a fresh machine: install what is missing, build the library and the demo, classify the sample
# images headlessly (the `twn` CLI in Node, then the demo page in headless Chromium on WebGPU), then serve the demo
# on http://127.0.0.1:4173 (or the next free port; TWN_DEMO_PORT picks another) until Ctrl-C. `--no-serve` stops
# after the headless part. It never builds the Python venv: only the trainer's tests need that (scripts/test-all.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-/usr/lib/chromium/vk_swiftshader_icd.json}

npm run --silent build:lib
npm run --silent build:demo

gallery=demo/public/gallery
echo "=== twn classify: MNIST test images with LeNet-5 TWN (file names carry the test index; labels in $gallery/gallery.json)"
node dist/lib/cli.js classify demo/models/lenet5-twn.twn "$gallery"/mnist-*.png --top 1
for model in demo/models/vgg7-twn*.twn; do
  [ -e "$model" ] || continue
  echo "=== twn classify: CIFAR-10 test images with $(basename "$model")"
  node dist/lib/cli.js classify "$model" "$gallery"/cifar10-*.png --top 1
done

echo "=== demo page in headless Chromium"
mkdir -p test-results/main
# TWN_DEMO_PORT (default 4173), or the next free port when something else holds it: a taken port must not stall us.
port=$(node scripts/free-port.mjs "${TWN_DEMO_PORT:-4173}")
url="http://127.0.0.1:$port/"
# vite itself, not through npx: killing npx would leave its vite child holding the port. --strictPort: if the port is
# taken after all, vite exits instead of silently moving elsewhere.
node node_modules/vite/bin/vite.js preview --port "$port" --strictPort >test-results/main/preview.log 2>&1 &
preview=$!
trap 'kill $preview 2>/dev/null || true' EXIT
# Ready when OUR server answers with the demo page; give up at once if it exited, and after 60 s at the latest.
title=$(sed -n 's:.*<title>\(.*\)</title>.*:\1:p' demo/index.html)
serves_demo() {
  node -e 'fetch(process.argv[1]).then((r) => r.text()).then((t) => process.exit(t.includes(process.argv[2]) ? 0 : 1),
    () => process.exit(1))' "$url" "$title"
}
ready=""
for _ in $(seq 120); do
  kill -0 "$preview" 2>/dev/null || { echo "main: vite preview exited:"; cat test-results/main/preview.log; exit 1; }
  if serves_demo; then ready=1; break; fi
  sleep 0.5
done
[ -n "$ready" ] || { echo "main: the demo did not come up at $url within 60 s"; exit 1; }
node scripts/headless-demo.mjs "$url" test-results/main/demo.png
kill $preview 2>/dev/null || true; wait $preview 2>/dev/null || true

if [ "${1:-}" != "--no-serve" ]; then
  echo "=== serving the demo at $url (Ctrl-C to stop)"
  exec node node_modules/vite/bin/vite.js preview --port "$port" --strictPort
fi
