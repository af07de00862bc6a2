"""Packaging: the package, plus specs/ and grammars/ shipped inside it as data."""
from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["gbcs", "gbcs.*"]) + ["gbcs.specs", "gbcs.grammars"],
    package_dir={"gbcs.specs": "specs", "gbcs.grammars": "grammars"},
    package_data={"gbcs.specs": ["*.gbspec"], "gbcs.grammars": ["*.lark"]},
)
