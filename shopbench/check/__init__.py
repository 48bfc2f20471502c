"""Will this model folder run with these engine settings on this machine? Answered from its
config.json, safetensors headers and tokenizer, before any engine starts.

    python -m shopbench.check --model DIR      # the GPU profile on 4x T4 by default
    python -m shopbench.check --driver         # this machine's NVIDIA driver against torch and vLLM

`checks.run_checks` is the pure core (config dict -> Report); `folder` reads a folder and holds
the check the engine runs at start; `memory` is the memory model (its docstring has the formulas);
`driver` compares the NVIDIA driver with the CUDA the installed torch and vLLM were built for.
"""

from .checks import Finding, Report, Status, Target, format_report, run_checks
from .driver import DriverCheckError
from .folder import ModelCheckError, check_before_start, check_folder

__all__ = ["DriverCheckError", "Finding", "ModelCheckError", "Report", "Status", "Target", "check_before_start",
           "check_folder", "format_report", "run_checks"]
