"""Rehearsing a competition run on the real engine, without the hidden questions: rows of our own
making in the dev rows' shape (`synthetic`, with the committed held-out prompt sets), the long run
that watches memory and throughput (`soak`), faults injected into the real engine (`faults`), and
the logits processor's memory alone (`processor_memory`). The commands are `python -m bench.NAME`."""
