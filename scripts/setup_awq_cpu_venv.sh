#!/usr/bin/env bash
# Build the AutoAWQ venv the CPU quantisation test uses: a venv layered over the main .venv
# (torch 2.13 CPU and everything else come from there), holding only AutoAWQ 0.2.9 and the
# older transformers it needs. The main .venv is not touched.
#   bash scripts/setup_awq_cpu_venv.sh [VENV_DIR]
# Default VENV_DIR: ${SHOPBENCH_CACHE:-~/.cache/shopbench}/awq-cpu-venv, where the test looks.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
main_python="${MAIN_PYTHON:-$repo/.venv/bin/python}"
venv="${1:-${SHOPBENCH_CACHE:-$HOME/.cache/shopbench}/awq-cpu-venv}"
main_site="$("$main_python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
py_version="$("$main_python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
base_python="$("$main_python" -c 'import sys; print(sys._base_executable)')"

"$base_python" -m venv "$venv"
site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
# .pth paths go after the venv's own site-packages, so the older transformers here wins.
echo "$main_site" > "$site/zz_shopbench_main_venv.pth"
"$venv/bin/pip" install --quiet --no-deps autoawq==0.2.9
"$venv/bin/pip" install --quiet -r "$repo/requirements/awq-cpu.txt"
"$venv/bin/python" -c "import awq, transformers, torch; print('AutoAWQ', awq.__version__, 'transformers', transformers.__version__, 'torch', torch.__version__)" 2>/dev/null
echo "python with AutoAWQ: $venv/bin/python (python $py_version)"
