"""Serving requests on vLLM: the engine, the watchdog that rebuilds it, and the memory allocator
of its CPU processes."""
