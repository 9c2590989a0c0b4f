#!/usr/bin/env bash
# The main job on a fresh machine: install what is missing, build the library and the demo, classify the sample
# images headlessly (the `twn` CLI in Node, then the demo page in headless Chromium on WebGPU), then serve the demo
# on http://127.0.0.1:4173 until Ctrl-C. `--no-serve` stops after the headless part.
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
# vite itself, not through npx: killing npx would leave its vite child holding the port.
node node_modules/vite/bin/vite.js preview >test-results/main/preview.log 2>&1 &
preview=$!
trap 'kill $preview 2>/dev/null || true' EXIT
node -e 'const t=Date.now();(async function poll(){try{await fetch("http://127.0.0.1:4173/");}catch{if(Date.now()-t<60000){setTimeout(poll,500);return;}process.exit(1);}})()'
node scripts/headless-demo.mjs http://127.0.0.1:4173/ test-results/main/demo.png
kill $preview 2>/dev/null || true; wait $preview 2>/dev/null || true

if [ "${1:-}" != "--no-serve" ]; then
  echo "=== serving the demo at http://127.0.0.1:4173/ (Ctrl-C to stop)"
  exec node node_modules/vite/bin/vite.js preview
fi
