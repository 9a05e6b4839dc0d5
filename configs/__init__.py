"""Run configs (one YAML per shipped checkpoint, ``tiny.yaml`` for tests) and shipped weights."""
