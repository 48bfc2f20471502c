"""Model building: merge LoRA adapters (wise-ft, ensembles), quantise to AWQ int4, pad the MLP
for tensor parallelism. Run as `python -m shopbench.modelbuild {merge,quantize,pad}`."""
