#!/usr/bin/env bash
# Installs everything a fresh machine of this project's kind lacks; each step is skipped when already satisfied.
#   - Debian's chromium (headless WebGPU on SwiftShader, Playwright's browser) and libvulkan1 (Dawn in Node);
#   - npm dependencies (npm ci);
#   - with --python: the Python venv for tools/ (PyTorch CPU build from the local wheel mirror), which only the
#     trainer/exporter tests need, so the main job (scripts/main.sh) does not build it.
set -euo pipefail
cd "$(dirname "$0")/.."

# chromium with its recommends (fonts, mesa), as verified on this machine kind; libvulkan1 alone for Dawn.
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
apt_updated=""
apt_install() {
  [ -n "$apt_updated" ] || { $SUDO apt-get update -qq; apt_updated=1; }
  echo "setup: apt-get install $*"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}
command -v chromium >/dev/null 2>&1 || apt_install chromium
ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1' || apt_install --no-install-recommends libvulkan1

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

[ "${1:-}" != "--python" ] || bash tools/setup-venv.sh
