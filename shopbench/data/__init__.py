"""Training data builders: ShopBench-style rows from local copies of public datasets.

`python -m shopbench.data build --config CONFIG --out DIR`; see `shopbench.data.build`."""
