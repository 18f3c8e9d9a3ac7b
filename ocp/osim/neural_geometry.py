"""``[model] geometry = "neural"``: an .osim model's muscle paths replaced by small networks.

The networks are trained by the learned-components plugin
(``learned_components.osim_geometry`` through ocp.engine.plugins, needs
PyTorch) on samples of the model's exact paths over the fitted ranges, once:
the exported surrogate (``NAME.casadi`` + ``NAME.json``, the muscle-geometry
format of ``ocp.models.surrogate``, plus the ``NAME.pt`` checkpoint) is
cached under a name keyed by the SHA-256 of the .osim file, the ranges, the
path smoothing and the training options, so a second run loads it (no torch
needed) and a changed file or range trains anew.

The cache folder is ``$OCP_CACHE_DIR/osim_geometry`` or, without that
variable, ``$XDG_CACHE_HOME/ocp/osim_geometry`` (default ``~/.cache``).
"""
from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

from ocp.engine.cache import cache_folder
from ocp.engine.plugins import PluginMissing, load_plugin
from ocp.errors import ProblemError
from ocp.models.surrogate import MUSCLE_GEOMETRY, Surrogate, load_surrogate

#: Changes whenever the training or the export changes what a cached file holds.
CACHE_VERSION = "osim-neural-geometry-1"


@dataclass(frozen=True)
class NeuralGeometryOptions:
    """How the networks are sized and trained (all of it enters the cache key)."""

    hidden: tuple = (16, 16)          # widths of the hidden layers of every network
    activation: str = "tanh"          # smooth: IPOPT uses second derivatives
    samples: int = 1000               # Halton training samples of the exact paths
    validation_samples: int = 2000    # uniform random samples for the reported errors
    adam_epochs: int = 300            # full-batch Adam iterations, learning rate 1e-2 -> 1e-3
    lbfgs_iterations: int = 300       # then full-batch L-BFGS iterations
    derivative_weight: float = 1.0    # weight of the moment-arm term of the loss
    seed: int = 0


@dataclass(frozen=True)
class NeuralFitError:
    """How well the network reproduces one muscle's exact path (m, on validation samples)."""

    muscle: str
    coordinates: tuple
    network: str                      # e.g. "2-16-16-2 tanh", shared with its group
    length_rms_m: float
    length_max_m: float
    moment_arm_rms_m: float
    moment_arm_max_m: float

    def describe(self) -> str:
        return (f"{self.muscle}: network {self.network} in {', '.join(self.coordinates)}, "
                f"length RMS {self.length_rms_m * 1e3:.3f} mm (max "
                f"{self.length_max_m * 1e3:.3f} mm), moment arm RMS "
                f"{self.moment_arm_rms_m * 1e3:.3f} mm, worst {self.moment_arm_max_m * 1e3:.3f} mm")


def cache_key(osim_bytes: bytes, ranges: dict, smoothing_rad: float, options: dict) -> str:
    """SHA-256 (hex) of everything that determines the trained networks."""
    payload = json.dumps({"version": CACHE_VERSION,
                          "osim": hashlib.sha256(osim_bytes).hexdigest(),
                          "ranges": {c: [repr(float(v)) for v in r]
                                     for c, r in sorted(ranges.items())},
                          "smoothing_rad": repr(float(smoothing_rad)),
                          "options": options}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def fit_errors(surrogate: Surrogate) -> tuple:
    """The NeuralFitError of every muscle, as recorded in the surrogate's metadata."""
    return tuple(NeuralFitError(**{**e, "coordinates": tuple(e["coordinates"])})
                 for e in surrogate.metadata.get("geometry_fit", []))


def neural_geometry(osim_path, exact, coordinates, units, muscles, ranges: dict, *,
                    model_name: str, smoothing_rad: float = 0.0,
                    cache: Path | None = None, options: NeuralGeometryOptions | None = None
                    ) -> tuple[Surrogate, tuple, bool]:
    """(surrogate, fit errors, trained now?) of the networks for these paths.

    ``exact``: the model's own q (n,) -> (lengths (m,), moment arms (n, m));
    ``ranges``: coordinate -> (lo, hi) for every coordinate, the box sampled.
    Loads the cached networks when they exist; trains and caches them
    otherwise (ProblemError with the install command when PyTorch is absent).
    """
    osim_path = Path(osim_path)
    ranges = {c: tuple(float(v) for v in ranges[c]) for c in coordinates}
    options = options or NeuralGeometryOptions()
    key = cache_key(osim_path.read_bytes(), ranges, smoothing_rad, asdict(options))
    stem = osim_path.stem.replace(".", "_")   # NAME.casadi and NAME.json must not collide
    path = (cache or cache_folder("osim_geometry")) / f"{stem}_neural_{key[:16]}"
    if path.with_suffix(".casadi").exists():
        try:
            surrogate = load_surrogate(path, MUSCLE_GEOMETRY)
            return surrogate, fit_errors(surrogate), False
        except ProblemError as exc:
            warnings.warn(f"cached neural geometry unusable, training it again: {exc}",
                          stacklevel=2)
    try:  # training is the learned-components plugin's (ocp.engine.plugins)
        learned = load_plugin("learned", "geometry = \"neural\"")
    except PluginMissing:
        raise ProblemError("geometry = \"neural\" trains networks on the first run, which "
                           "needs the learned_components package: pip install "
                           "\"ocp-movement[learned]\"", file=str(osim_path)) from None
    try:
        learned.fit_neural_geometry(exact, coordinates, muscles, ranges, options, path,
                                    model=model_name, units=units,
                                    source={"file": str(osim_path), "sha256": hashlib.sha256(
                                        osim_path.read_bytes()).hexdigest(),
                                        "conditional_smoothing_rad": smoothing_rad})
    except ProblemError as exc:  # the model's paths cannot be learned: name its file
        exc.file = exc.file or str(osim_path)
        raise
    surrogate = load_surrogate(path, MUSCLE_GEOMETRY)
    return surrogate, fit_errors(surrogate), True
