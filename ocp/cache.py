"""Where this project keeps what it built once: trained geometry networks,
compiled derivative blocks, ...

``$OCP_CACHE_DIR/<kind>``, else ``$XDG_CACHE_HOME/ocp/<kind>``, else
``~/.cache/ocp/<kind>``. Whatever is written there is named by a hash of what
determines it, so a stale entry is never read for a changed input.
"""
from __future__ import annotations

import os
from pathlib import Path


def cache_folder(kind: str) -> Path:
    """The cache folder of one kind of artefact (``"osim_geometry"``, ``"compiled"``)."""
    root = os.environ.get("OCP_CACHE_DIR")
    if root:
        return Path(root) / kind
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "ocp" / kind
