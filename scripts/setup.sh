#!/usr/bin/env bash
# Installs everything a fresh machine of this project's kind lacks; each step is skipped when already satisfied.
#   - Debian's chromium (headless WebGPU on SwiftShader, Playwright's browser) and libvulkan1 (Dawn in Node);
#   - npm dependencies (npm ci);
#   - the Python venv for tools/ (PyTorch CPU build from the local wheel mirror).
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1' || need_apt+=(libvulkan1)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: apt-get install ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

bash tools/setup-venv.sh
