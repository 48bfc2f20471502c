# The submission image: 4x NVIDIA T4 (sm_75, 16 GB each), vLLM 0.32 with tensor parallelism 4 in
# fp16. Build and run (docs/docker.md):
#   docker build -t shopbench .
#   docker run --gpus all --shm-size 16g -v "$PWD/models:/home/app/models" \
#       -v "$PWD/data:/home/app/data" shopbench
#
# The base is a plain OS image, not an nvidia/cuda one: vllm==0.32.0 and torch==2.13.0 are CUDA 13
# builds that bring their CUDA libraries as pip packages (nvidia-cuda-runtime, nvidia-cublas, ...)
# and load those, so a CUDA toolkit in the base would be a second, unused copy (the old
# nvidia/cuda:12.9.1 base was even of the wrong major version). The driver (libcuda.so) is not in
# any image: the NVIDIA container toolkit mounts the host's at `docker run --gpus`, and a CUDA 13
# build needs a driver of the R580 series or newer (python -m shopbench.check --driver says which
# the machine has; requirements/gpu-cuda12.txt is the route for older drivers).
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}

# Package-index settings of the machine that builds the image (an index mirror, its certificate
# bundle mounted at build time, a timeout). Build arguments only: they reach the RUN steps as
# environment and are not part of the image's configuration.
ARG PIP_INDEX_URL
ARG PIP_EXTRA_INDEX_URL
ARG PIP_TRUSTED_HOST
ARG PIP_CERT
ARG PIP_DEFAULT_TIMEOUT
# requirements/gpu-cuda12.txt for hosts whose driver is older than R580 (docs/docker.md "Older drivers").
ARG REQUIREMENTS=requirements.txt

ENV DEBIAN_FRONTEND=noninteractive \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    VLLM_USE_V2_MODEL_RUNNER=0 \
    VLLM_WORKER_MULTIPROC_METHOD=spawn \
    SHOPBENCH_PROFILE=gpu

# build-essential and python3-dev: Triton compiles its CUDA launcher stubs with the system C
# compiler against Python.h the first time vLLM runs a Triton kernel.
COPY apt.txt /tmp/apt.txt
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv python3-dev build-essential \
        ca-certificates $(cat /tmp/apt.txt) \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /home/app
RUN python3 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY requirements.txt ./
COPY requirements/ requirements/
RUN pip install --no-cache-dir --upgrade pip && pip install --no-cache-dir -r "$REQUIREMENTS"

# The code only: .dockerignore keeps the model folders under models/ (mounted at run time), data/,
# logs/ and local venvs out of the context, but not models/*.py (tests/test_docker_context.py).
COPY . .
# The package itself, editable so the image runs the tree the evaluator mounts; its dependencies
# are the pinned requirements installed above.
RUN pip install --no-cache-dir --no-deps -e .
CMD ["python", "local_evaluation.py"]
