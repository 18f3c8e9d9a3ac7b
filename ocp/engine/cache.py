"""Where this project keeps what it built once: trained geometry networks,
compiled derivative blocks, ...

``$OCP_CACHE_DIR/<kind>``, else ``$XDG_CACHE_HOME/ocp/<kind>``, else
``~/.cache/ocp/<kind>``. Whatever is written there is named by a hash of what
determines it, so a stale entry is never read for a changed input.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

#: What is cached, by kind: ``ocp cache`` lists and clears these.
KINDS = {"compiled": "derivative blocks compiled to machine code (ocp/engine/compiled.py)",
         "osim_geometry": "neural muscle-path surrogates of .osim models "
                          "(ocp/osim/neural_geometry.py)",
         "polynomial_geometry": "polynomial muscle-path fits of .osim models "
                                "(ocp/models/muscles/polynomial_fit.py)"}


def cache_root() -> Path:
    """``$OCP_CACHE_DIR``, else ``$XDG_CACHE_HOME/ocp``, else ``~/.cache/ocp``."""
    root = os.environ.get("OCP_CACHE_DIR")
    if root:
        return Path(root)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "ocp"


def cache_folder(kind: str) -> Path:
    """The cache folder of one kind of artefact (``"osim_geometry"``, ``"compiled"``)."""
    return cache_root() / kind


def cache_usage(kind: str) -> tuple[int, int]:
    """(files, bytes) held in the cache folder of ``kind`` (0, 0 when it does not exist)."""
    files = [f for f in cache_folder(kind).rglob("*") if f.is_file()]
    return len(files), sum(f.stat().st_size for f in files)


def clear_cache(kind: str) -> tuple[int, int]:
    """Delete every file cached under ``kind``; returns the (files, bytes) removed.

    Everything there is rebuilt on demand (compiled blocks: about 35 s for
    Moco's walker; neural geometry: retrained), so clearing loses no result.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown cache kind '{kind}'; the kinds are {sorted(KINDS)}")
    removed = cache_usage(kind)
    folder = cache_folder(kind)
    if folder.exists():
        shutil.rmtree(folder)
    return removed
