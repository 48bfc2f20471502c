"""The evaluator's hook: it imports UserModel from here and instantiates it with no arguments.
Settings live in the top-level user_config.py."""

from models.shopbench_model import ShopBenchModel

UserModel = ShopBenchModel
