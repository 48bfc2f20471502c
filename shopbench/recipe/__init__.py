"""One command runs the winners' recipe, stage by stage, each stage a call of the package's own code:

    python -m shopbench.recipe run RECIPE.yaml --out DIR     (console script: shopbench-recipe)
    python -m shopbench.recipe plan RECIPE.yaml --out DIR    (what each stage would do; runs nothing)

build -> synth -> train -> score every wise-ft α (validation and dev, local_evaluation.py) -> the
best α by validation score -> merge -> quantize -> pad -> check -> page (trained against base).

`config.py` reads and checks the recipe file (`path:line: what is wrong`); `stages.py` holds the
fingerprints, manifests and resumable work folders; `steps.py` the stages; `serving.py` is the only
part that touches an engine (candidates as LoRA adapters over one engine, or merged folders);
`adapters.py` makes an α-scaled adapter; `run.py` the plan, the loop and the summary. See
docs/recipe.md."""
