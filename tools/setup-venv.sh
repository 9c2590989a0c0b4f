#!/usr/bin/env bash
# Creates <repo>/.venv (gitignored) with everything tools/ needs: torch (CPU), numpy, onnx, onnxruntime,
# pytest, pillow, tqdm, ruff (the linter .ci/run applies to tools/). Idempotent: if .venv already imports all of them, it does nothing.
#
# On the build machine pip is preconfigured (pip.conf) to find local wheels, so we pin the exact CPU torch
# build and fail fast (--retries 0 --timeout 3) instead of hanging on an unreachable index. Elsewhere, if the
# pinned build is not found, we fall back to plain package names from whatever index pip is configured with.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo_root/.venv"
python_bin="${PYTHON:-python3.11}"
command -v "$python_bin" >/dev/null 2>&1 || python_bin=python3

pinned=(torch==2.13.0+cpu numpy onnx onnxruntime pytest pillow tqdm ruff)
plain=(torch numpy onnx onnxruntime pytest pillow tqdm ruff)

venv_is_ready() {
  [ -x "$venv/bin/python" ] &&
    "$venv/bin/python" -c "import torch, numpy, onnx, onnxruntime, pytest, PIL, tqdm" >/dev/null 2>&1 &&
    "$venv/bin/ruff" --version >/dev/null 2>&1
}

if venv_is_ready; then
  echo "setup-venv: $venv already has everything ($("$venv/bin/python" -c 'import torch; print("torch", torch.__version__)'))"
  exit 0
fi

[ -x "$venv/bin/python" ] || "$python_bin" -m venv "$venv"
pip=("$venv/bin/python" -m pip install --retries 0 --timeout 3)

if ! "${pip[@]}" "${pinned[@]}"; then
  echo "setup-venv: pinned install failed; falling back to plain package names" >&2
  "${pip[@]}" "${plain[@]}"
fi

venv_is_ready || { echo "setup-venv: .venv still misses a package" >&2; exit 1; }
echo "setup-venv: ready ($("$venv/bin/python" -c 'import torch; print("torch", torch.__version__)'))"
