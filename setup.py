"""Packaging: the package, specs/ and grammars/ shipped inside it as data, the spec tables
compiled to data (gbcs/spec/compiled_specs.json, so an installed gbcs never runs lark), and the
optional compiled twins of the decode path (gbcs/backend.py COMPILED, plus gbcs/wire/walker.py),
each cythonized from its own .py; skipped, with a message, where no compiler works.

C types for a twin live in a .pxd beside its .py (gbcs/payload/dlms.pxd for dlms.py,
gbcs/wire/_walker_c.pxd for the walker): Cython reads the .pxd named after the extension module
it builds, so the .py stays plain Python and the pure twin needs no Cython at run time."""
import os
import sys
import types
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


def compile_specs(target: Path) -> None:
    """Parse and check specs/ now and store the tables as data at `target`.

    gbcs/__init__ imports the whole decoder and its dependencies, which the build environment
    lacks; a bare package object lets gbcs.spec load alone (it needs only lark).
    """
    saved = {k: v for k, v in sys.modules.items() if k == "gbcs" or k.startswith("gbcs.")}
    package = types.ModuleType("gbcs")
    package.__path__ = [str(ROOT / "gbcs")]
    sys.modules["gbcs"] = package
    try:
        from gbcs.spec import compiled
        from gbcs.spec.load import load_specs, specs_digest, _data_dir
        folder = _data_dir("specs")
        digest, _ = specs_digest(folder)
        target.parent.mkdir(parents=True, exist_ok=True)
        compiled.write(target, load_specs(folder, use_cache=False), digest, mode=0o644)
    finally:
        for k in [k for k in sys.modules if k == "gbcs" or k.startswith("gbcs.")]:
            del sys.modules[k]
        sys.modules.update(saved)


class BuildPyWithSpecs(build_py):
    """Also writes the compiled spec tables (into the source tree for an editable install)."""

    def run(self):
        super().run()
        base = ROOT if self.editable_mode else Path(self.build_lib)
        try:
            compile_specs(base / "gbcs" / "spec" / "compiled_specs.json")
        except Exception as exc:  # noqa: BLE001 - gbcs still works: it parses the specs at first use
            print(f"gbcs: spec tables not compiled ({exc}); they will be parsed at first use", file=sys.stderr)

    def get_outputs(self, include_bytecode=True):
        outputs = list(super().get_outputs(include_bytecode))
        if not self.editable_mode:
            outputs.append(str(Path(self.build_lib) / "gbcs" / "spec" / "compiled_specs.json"))
        return outputs


def compiled_modules() -> tuple:
    """gbcs.backend.COMPILED, read without importing gbcs (its dependencies may be absent here)."""
    import ast
    tree = ast.parse((ROOT / "gbcs" / "backend.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "COMPILED" for t in node.targets):
            return ast.literal_eval(node.value)
    raise RuntimeError("gbcs/backend.py has no COMPILED tuple")


TWINS = set(compiled_modules())


def twin_name(module: str) -> str:
    """gbcs.payload.dlms -> gbcs.payload._c_dlms: where the compiled twin is written (its module
    name stays gbcs.payload.dlms; gbcs.backend loads it under that name)."""
    package, _, last = module.rpartition(".")
    return f"{package}._c_{last}"


class OptionalBuildExt(build_ext):
    """The pure-Python twins are complete on their own; a failed compile must not fail the install."""

    def get_ext_filename(self, fullname):
        return super().get_ext_filename(twin_name(fullname) if fullname in TWINS else fullname)

    def get_ext_fullpath(self, ext_name):
        fullname = self.get_ext_fullname(ext_name)
        return super().get_ext_fullpath(twin_name(fullname) if fullname in TWINS else ext_name)

    def run(self):
        try:
            super().run()
        except Exception as exc:  # noqa: BLE001 - any compiler trouble means: use the Python twin
            print(f"gbcs: compiled twins not built ({exc}); the pure-Python modules will be used", file=sys.stderr)

    def build_extension(self, ext):
        if self.compiler.compiler_type == "unix":
            # no debug info: the twins are several times smaller, load faster and build faster
            ext.extra_compile_args = [*ext.extra_compile_args, "-g0", "-O2"]
        try:
            super().build_extension(ext)
        except Exception as exc:  # noqa: BLE001
            print(f"gbcs: {ext.name} not compiled ({exc}); its pure-Python twin will be used", file=sys.stderr)


# annotation_typing off: a twin must accept exactly what its .py accepts (`x: int` would
# otherwise reject None or an int subclass); C types come only from the .pxd files.
DIRECTIVES = {"language_level": 3, "binding": True, "annotation_typing": False}


# Every twin is rebuilt when any .pxd changes: twins cimport each other's types (the walker, the
# layout programs), and one compiled against stale declarations would crash rather than fail.
DECLARATIONS = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "gbcs").rglob("*.pxd"))


def extensions():
    if os.environ.get("GBCS_PURE_PYTHON") == "1":
        return []
    try:
        from Cython.Build import cythonize
        from setuptools import Extension
    except ImportError:
        return []
    wanted = [Extension("gbcs.wire._walker_c", ["gbcs/wire/walker.py"], depends=DECLARATIONS)]
    for name in sorted(TWINS):
        # its own .pxd (found by Cython under the module's name) is among DECLARATIONS
        wanted.append(Extension(name, [name.replace(".", "/") + ".py"], depends=DECLARATIONS))
    for ext in wanted:
        # Cython tracks a .pxd named after the .py it compiles, not _walker_c.pxd, nor a .pxd that
        # another twin cimports: drop the generated C when any declared dependency is newer.
        generated = ROOT / (ext.sources[0][:-3] + ".c")
        if generated.exists() and any((ROOT / dep).stat().st_mtime > generated.stat().st_mtime
                                      for dep in ext.depends if (ROOT / dep).exists()):
            generated.unlink()
    built = []
    for ext in wanted:             # one by one: a module Cython rejects stays pure Python alone
        try:
            built += cythonize([ext], compiler_directives=DIRECTIVES,
                               quiet=True)
        except Exception as exc:  # noqa: BLE001
            print(f"gbcs: cannot cythonize {ext.name} ({exc}); its pure-Python twin will be used",
                  file=sys.stderr)
    return built


setup(
    packages=find_packages(include=["gbcs", "gbcs.*"]) + ["gbcs.specs", "gbcs.grammars"],
    package_dir={"gbcs.specs": "specs", "gbcs.grammars": "grammars"},
    # the .pxd files ship too: a source build from the sdist compiles the same typed twins
    package_data={"gbcs": ["py.typed", "*.pxd"], "gbcs.payload": ["*.pxd"], "gbcs.wire": ["*.pxd"],
                  "gbcs.spec": ["*.pxd"], "gbcs.io": ["*.pxd"], "gbcs.validate": ["*.pxd"],
                  "gbcs.specs": ["*.gbspec"], "gbcs.grammars": ["*.lark"]},
    exclude_package_data={"": ["*.c"]},      # Cython's generated C: build input, not package data
    ext_modules=extensions(),
    cmdclass={"build_ext": OptionalBuildExt, "build_py": BuildPyWithSpecs},
)
