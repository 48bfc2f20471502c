"""ShopBench submission package: task heuristics, constrained decoding, scoring and model tooling."""
