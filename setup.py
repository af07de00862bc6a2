"""Packaging: the package, specs/ and grammars/ shipped inside it as data, and the optional
compiled twin of gbcs/wire/walker.py (skipped, with a message, where no compiler works)."""
import os
import sys

from setuptools import find_packages, setup
from setuptools.command.build_ext import build_ext


class OptionalBuildExt(build_ext):
    """The pure-Python walker is complete on its own; a failed compile must not fail the install."""

    def run(self):
        try:
            super().run()
        except Exception as exc:  # noqa: BLE001 - any compiler trouble means: use the Python twin
            print(f"gbcs: compiled walker not built ({exc}); the pure-Python walker will be used", file=sys.stderr)

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except Exception as exc:  # noqa: BLE001
            print(f"gbcs: compiled walker not built ({exc}); the pure-Python walker will be used", file=sys.stderr)


def extensions():
    if os.environ.get("GBCS_PURE_PYTHON") == "1":
        return []
    try:
        from Cython.Build import cythonize
        from setuptools import Extension
    except ImportError:
        return []
    try:
        return cythonize([Extension("gbcs.wire._walker_c", ["gbcs/wire/walker.py"])],
                         compiler_directives={"language_level": 3}, quiet=True)
    except Exception as exc:  # noqa: BLE001
        print(f"gbcs: cannot cythonize the walker ({exc}); using the pure-Python walker", file=sys.stderr)
        return []


setup(
    packages=find_packages(include=["gbcs", "gbcs.*"]) + ["gbcs.specs", "gbcs.grammars"],
    package_dir={"gbcs.specs": "specs", "gbcs.grammars": "grammars"},
    package_data={"gbcs.specs": ["*.gbspec"], "gbcs.grammars": ["*.lark"]},
    ext_modules=extensions(),
    cmdclass={"build_ext": OptionalBuildExt},
)
