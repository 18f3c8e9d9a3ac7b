"""Import torch on demand, with one clear message when it is not installed."""
from __future__ import annotations

from ocp.errors import ProblemError

TORCH_MISSING = ("training a learned component needs PyTorch, which is not installed; "
                 "install it with: pip install \"ocp-movement[learned]\" "
                 "(or pip install torch)")


def require_torch():
    """The torch module, or ProblemError with the install command."""
    try:
        import torch
    except ImportError:
        raise ProblemError(TORCH_MISSING) from None
    return torch
