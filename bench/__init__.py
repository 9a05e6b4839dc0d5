"""Benchmarks against the anchors and the model-card tool: ``hybridvision.bench``.

Kept out of the runtime packages: only the ``bench`` verbs (through ``pipelines/registry.py``'s
``VERBS``), ``hybridvision bench ...`` in ``apps/cli.py`` and the card tool import it, so
prediction and training never load a reference model or its dependencies.
"""
