# The submission image: 4x NVIDIA T4 (sm_75, 16 GB each), CUDA, vLLM 0.32 with tensor
# parallelism 4 in fp16. Build and run (README "Docker"):
#   docker build -t shopbench .
#   docker run --gpus all --shm-size 16g -v "$PWD/models:/home/app/models" \
#       -v "$PWD/data:/home/app/data" shopbench
FROM nvidia/cuda:12.9.1-runtime-ubuntu24.04

ENV DEBIAN_FRONTEND=noninteractive \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    VLLM_USE_V2_MODEL_RUNNER=0 \
    VLLM_WORKER_MULTIPROC_METHOD=spawn \
    SHOPBENCH_PROFILE=gpu

COPY apt.txt /tmp/apt.txt
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv python3-dev build-essential $(cat /tmp/apt.txt) \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /home/app
RUN python3 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY requirements.txt ./
COPY requirements/ requirements/
RUN pip install --no-cache-dir --upgrade pip && pip install --no-cache-dir -r requirements.txt

COPY . .
# The package itself, editable so the image runs the tree the evaluator mounts; its dependencies
# are the pinned requirements installed above.
RUN pip install --no-cache-dir --no-deps -e .
CMD ["python", "local_evaluation.py"]
