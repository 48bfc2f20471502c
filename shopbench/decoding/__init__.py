"""What the model may write: the decoding constraints, the logits processor that runs them inside
vLLM, and the check for degenerate output."""
