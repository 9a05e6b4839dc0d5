"""The command line as a slim install runs it: ``python tests/slim_cli.py ARGS`` is ``hybridvision ARGS``
with the packages of the extras (demo, train, bench) made impossible to import."""

import importlib.abc
import sys

MISSING = ("gradio", "lightning", "pytorch_lightning", "albumentations", "spandrel", "peft")


class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in MISSING:
            raise ModuleNotFoundError(f"No module named '{name}'", name=name)
        return None


if __name__ == "__main__":
    sys.meta_path.insert(0, NotInstalled())
    from hybridvision.apps.cli import main

    sys.argv = ["hybridvision", *sys.argv[1:]]
    main()
