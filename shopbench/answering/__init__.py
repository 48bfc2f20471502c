"""From a read prompt to a request and back to a text: the batch the evaluator passes in, the
prompts, the requests, the model's pick of a task type, multiple-choice calibration."""
