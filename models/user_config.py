"""The evaluator's hook: it imports UserModel from here and instantiates it with no arguments.
Settings live in the top-level user_config.py."""

import sys
from pathlib import Path

_REPO = str(Path(__file__).resolve().parents[1])
if _REPO not in sys.path:
    sys.path.insert(0, _REPO)

from models.shopbench_model import ShopBenchModel  # noqa: E402

UserModel = ShopBenchModel
