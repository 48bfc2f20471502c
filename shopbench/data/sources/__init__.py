"""Builders, one module per public source: each reads local copies of the source's files and
yields training rows (see `shopbench.data.rows.make_row`)."""
