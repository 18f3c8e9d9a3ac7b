"""Plugins: packages that extend ocp and depend on it, never the reverse.

A plugin registers itself under the entry-point group ``ocp.plugins`` of its
package metadata (pyproject.toml's ``[project.entry-points."ocp.plugins"]``)
and ocp loads it by that name with :mod:`importlib.metadata`, so no module of
ocp imports the plugin's package. The learned components
(``learned_components``: training in PyTorch) are such a plugin: ``ocp train``
and the first fit of ``[model] geometry = "neural"`` reach their training
through it, while solving only loads the exported CasADi files
(ocp.models.surrogate).
"""
from __future__ import annotations

import importlib
import importlib.metadata

from ocp.errors import ProblemError

#: The entry-point group in which plugins register.
PLUGIN_GROUP = "ocp.plugins"

#: The plugins shipped in this repository: entry-point name -> module, exactly as
#: pyproject.toml registers them (tests/test_core_boundaries.py holds the two
#: equal). Read only when the entry point is not installed, as when the
#: checkout is used through PYTHONPATH without ``pip install -e .``.
SHIPPED_PLUGINS = {"learned": "learned_components.plugin"}

#: what to install for a shipped plugin that is missing
INSTALL = {"learned": 'pip install "ocp-movement[learned]"'}


class PluginMissing(ProblemError):
    """A plugin that is neither installed nor importable; the message says what to install."""


def load_plugin(name: str, purpose: str):
    """The object (usually a module) that plugin ``name`` registered.

    ``purpose`` completes the error message (``"ocp train"``). Raises
    PluginMissing, naming the package to install, when the plugin cannot be
    found; an import error inside an installed plugin propagates as it is.
    """
    for entry in importlib.metadata.entry_points(group=PLUGIN_GROUP, name=name):
        return entry.load()
    module = SHIPPED_PLUGINS.get(name)
    if module is None:
        raise PluginMissing(f"{purpose} needs the plugin '{name}' (entry point group "
                            f"'{PLUGIN_GROUP}'), which is not installed")
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        package = module.split(".")[0]
        if exc.name not in (package, module):
            raise
        raise PluginMissing(f"{purpose} needs the {package} package, which is not "
                            f"installed; install ocp with: {INSTALL[name]}") from None
