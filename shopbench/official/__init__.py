"""The evaluator's rules, reproduced: how an answer is parsed and scored (the official parsing,
metrics and their sentence encoders)."""
