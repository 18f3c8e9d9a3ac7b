"""The learned components as a plugin of ocp (entry point ``learned`` of ``ocp.plugins``).

ocp never imports ``learned_components``: it loads this module through the
entry point registered in pyproject.toml (ocp.engine.plugins) and calls the
two functions below. Both import their training code when called, so that
loading the plugin needs no PyTorch; training without it raises ProblemError
with the install command (learned_components._torch).
"""
from __future__ import annotations


def train(spec_path, out=None, progress: bool = True):
    """``ocp train SPEC.toml``: train what the specification asks and export it.

    Returns a result whose ``report()`` is the text the command prints.
    """
    from learned_components.train import run
    return run(spec_path, out=out, progress=progress)


def fit_neural_geometry(exact, coordinates, muscles, ranges: dict, options, path, **export):
    """Train the muscle-path networks of an .osim model and export them to ``path``
    (``path.casadi`` + ``path.json`` + ``path.pt``), for ocp.osim.neural_geometry.

    ``exact``: q (n,) -> (lengths (m,), moment arms (n, m)); ``ranges``:
    coordinate -> (lo, hi) (rad or m); ``export``: the metadata keywords of
    :func:`learned_components.osim_geometry.export_neural_geometry`.
    """
    from learned_components.osim_geometry import export_neural_geometry, train_neural_geometry
    fit = train_neural_geometry(exact, coordinates, muscles, ranges, options)
    export_neural_geometry(fit, path, coordinates=coordinates, muscles=muscles,
                           ranges=ranges, options=options, **export)
    return fit
