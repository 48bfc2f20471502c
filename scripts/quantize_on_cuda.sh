#!/usr/bin/env bash
# AWQ int4 quantisation on a CUDA machine, MLP padding of the int4 model for tensor
# parallelism, then a load-and-generate check with vLLM's `awq` method (the kernel T4s run).
#
#   bash scripts/quantize_on_cuda.sh MODEL_DIR OUT_DIR [TP_SIZE]
#
# MODEL_DIR: the merged, unpadded fp16/bf16 model (python -m shopbench.modelbuild merge).
# TP_SIZE:   tensor-parallel size to pad for and to check with (default 1: no padding).
# Environment:
#   AWQ_VENV      venv for AutoAWQ (default ${SHOPBENCH_CACHE:-~/.cache/shopbench}/awq-venv),
#                 created from requirements/awq.txt when missing
#   VLLM_PYTHON   python that has vllm==0.32.0 for the load check (default: the repo's .venv);
#                 set VLLM_PYTHON=skip to skip the check
#   CALIB         calibration file (default: the dev questions)
#   MAX_SEQ_LEN   calibration block length (default 512)
#   EXTRA_ARGS    more arguments for `shopbench.modelbuild quantize` (e.g. "--n-parallel-calib-samples 8")
set -euo pipefail
if [[ $# -lt 2 ]]; then
    sed -n '2,18p' "$0"
    exit 2
fi
model="$1"
out="$2"
tp="${3:-1}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
venv="${AWQ_VENV:-${SHOPBENCH_CACHE:-$HOME/.cache/shopbench}/awq-venv}"

if ! "$venv/bin/python" -c "import awq" 2>/dev/null; then
    echo "== creating $venv from requirements/awq.txt"
    python3.11 -m venv "$venv" 2>/dev/null || python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
    "$venv/bin/pip" install --quiet -r "$repo/requirements/awq.txt"
fi
"$venv/bin/python" -c "import torch; assert torch.cuda.is_available(), 'no CUDA device visible'; print('GPU:', torch.cuda.get_device_name(0))"

quantized="$out"
[[ "$tp" != 1 ]] && quantized="$out.unpadded"
args=(--model "$model" --out "$quantized" --max-seq-len "${MAX_SEQ_LEN:-512}")
[[ -n "${CALIB:-}" ]] && args+=(--calib "$CALIB")
echo "== quantising $model -> $quantized"
# shellcheck disable=SC2086
(cd "$repo" && "$venv/bin/python" -m shopbench.modelbuild quantize "${args[@]}" ${EXTRA_ARGS:-})
if [[ "$tp" != 1 ]]; then
    echo "== padding the int4 MLP for tp $tp -> $out"
    (cd "$repo" && "$venv/bin/python" -m shopbench.modelbuild pad --model "$quantized" --tp-size "$tp" \
        --group-size 128 --out "$out")
fi

vllm_python="${VLLM_PYTHON:-$repo/.venv/bin/python}"
if [[ "$vllm_python" == skip ]]; then
    exit 0
fi
echo "== loading $out with vLLM (quantization=awq, fp16, tp $tp)"
cd "$repo"
VLLM_USE_V2_MODEL_RUNNER=0 "$vllm_python" - "$out" "$tp" <<'EOF'
import sys

if __name__ == "__main__":
    from vllm import LLM, SamplingParams

    from shopbench.modelbuild.calibration import default_calibration_path, read_calibration_rows
    from shopbench.answering.prompts import chat_messages

    path, tp = sys.argv[1], int(sys.argv[2])
    llm = LLM(model=path, quantization="awq", dtype="half", tensor_parallel_size=tp, max_model_len=4096,
              enforce_eager=True)
    rows = read_calibration_rows(default_calibration_path())[:: 12]
    chats = [chat_messages(r["input_field"], r["task_type"]) for r in rows]
    outs = llm.chat(chats, SamplingParams(max_tokens=32, temperature=0.0))
    for row, out in zip(rows, outs):
        print(f"[{row['task_type']}] truth={row['output_field']!r} -> {out.outputs[0].text.strip()[:80]!r}")
    print(f"vLLM loaded and ran {path}")
EOF
