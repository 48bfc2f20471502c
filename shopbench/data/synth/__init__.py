"""Training-data synthesis: an LLM writes new wordings of each row's instruction (reword), new
entity and attribute rows cited verbatim from product text (enrich) and new wrong options for
multiple choice (distractors); every generated row passes its checks before it is kept.

Data flows one way: input rows (stage.read_input) -> jobs with ids and seeds (stage.plan) ->
prompts -> a Generator (generator.py; built by make.py: in-process vLLM in engines.py, Ray Data in
ray_engine.py, a scripted fake in fake.py)
-> outputs -> checked records (stage.Checker, validate.py) -> journal (resumable) -> shards,
manifest, fingerprint and report (run.py, report.py). Only the Generator differs between one
machine and a cluster."""
