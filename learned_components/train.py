"""``ocp train SPEC.toml``: data, training, checkpoint and export from one specification.

Writes, next to each other (``out`` in the specification):

- ``OUT.pt``: the checkpoint (weights and metadata, checkpoint.py);
- ``OUT.casadi`` and ``OUT.json``: the exported CasADi function and its
  metadata, which a problem file names (``[model] geometry = "OUT.casadi"``);
- with ``laplace = true``, ``OUT_laplace.casadi`` maps the inputs to (mean,
  aleatoric, epistemic, total) of a last-layer Laplace posterior, beside the
  drop-in ``OUT.casadi`` (the network's mean head);
- for an ensemble, ``OUT.casadi`` maps the inputs to (mean, aleatoric,
  epistemic, total), and ``OUT_member1.casadi`` ... each member's mean as a
  drop-in geometry, to solve the movement once per member.
"""
from __future__ import annotations

import time
from pathlib import Path

import casadi as ca
import numpy as np

from learned_components._torch import require_torch
from learned_components.checkpoint import save_checkpoint
from learned_components.datasets import Dataset, contact_normal_force_data, muscle_geometry_data
from learned_components.ensemble import outside_points, train_ensemble, uncertainty_report
from learned_components.export import (
    contact_function,
    ensemble_function,
    geometry_function,
    write_surrogate,
)
from learned_components.spec import TrainSpec, load_spec
from learned_components.training import Progress, TrainResult, errors, train_network
from ocp.models.surrogate import MUSCLE_GEOMETRY, shown

torch = require_torch()

ENSEMBLE = "muscle_geometry_ensemble"
CONTACT_ENSEMBLE = "contact_normal_force_ensemble"


def make_data(spec: TrainSpec) -> Dataset:
    seed = spec.options.seed
    if spec.component == MUSCLE_GEOMETRY:
        return muscle_geometry_data(spec.model, spec.inputs, spec.samples, seed,
                                    noise_m=spec.noise or None)
    data = contact_normal_force_data(spec.sphere, spec.inputs["indentation"],
                                     spec.inputs["indentation_speed"], spec.samples, seed)
    if spec.noise:
        rng = np.random.default_rng(seed + 1_000_003)
        noisy = data.outputs + spec.noise * rng.standard_normal(data.outputs.shape)
        data = Dataset(data.inputs, noisy, data.derivatives,
                       np.full(data.outputs.shape, spec.noise), data.input_names,
                       data.input_units, data.output_names, data.output_units, data.ranges,
                       data.outputs)
    return data


def _metadata(spec: TrainSpec, data: Dataset, networks, training: dict) -> dict:
    net = networks[0]
    meta = {
        "component": spec.component,
        "inputs": [{"name": n, "unit": u, "range": list(r)}
                   for n, u, r in zip(data.input_names, data.input_units, data.ranges)],
        "outputs": [{"name": n, "unit": u} for n, u in zip(data.output_names,
                                                           data.output_units)],
        "network": {**net.architecture(), "members": len(networks)},
        "training": training,
        "specification": str(spec.file.name),
        "software": {"torch": str(torch.__version__), "casadi": str(ca.__version__)},
    }
    if spec.component == MUSCLE_GEOMETRY:
        meta["model"] = spec.model.name
        meta["muscles"] = [m.name for m in spec.model.muscles]
        meta["coordinates"] = list(spec.model.tree.coordinates)
        meta["model_table"] = spec.model_table
    else:
        sphere = spec.sphere
        meta["sphere"] = {k: getattr(sphere, k) for k in sphere.__dataclass_fields__
                          if k not in ("name", "segment", "center_m")}
    return meta


def _layers(net) -> str:
    a = net.architecture()
    head = a["n_out"] * (2 if a["kind"] == "mean_variance_mlp" else 1)
    return " -> ".join(str(w) for w in [a["n_in"], *a["hidden"], head])


def _steps(spec: TrainSpec) -> str:
    o = spec.options
    parts = ([f"{o.epochs} Adam epochs"] if o.epochs else []) + \
        ([f"{o.lbfgs_steps} L-BFGS steps"] if o.lbfgs_steps else [])
    return " + ".join(parts)


def train_from_spec(spec: TrainSpec, progress: bool = True) -> TrainResult:
    """Train, check, save and export the component described by ``spec``."""
    if not isinstance(spec, TrainSpec):  # a graph or recurrent network (structured_spec)
        from learned_components.train_structured import train_structured
        return train_structured(spec, progress)
    started = time.perf_counter()
    data = make_data(spec)
    unit = data.output_units[0]
    out = spec.out
    lines = [f"component    {spec.component}" + (
        f" of {spec.model.name} ({len(data.output_names)} muscles over "
        f"{', '.join(data.input_names)})" if spec.component == MUSCLE_GEOMETRY else
        f" of a sphere of radius {spec.sphere.radius_m * 1000:.4g} mm")]
    if spec.ensemble:
        trained = train_ensemble(data, spec.ensemble, spec.hidden, spec.activation,
                                 spec.options, progress=progress)
        networks = [t.module for t in trained]
        outside = outside_points(data.ranges, 1000, 0.5, spec.options.seed)
        metrics = uncertainty_report(networks, data, trained[0].validation_index, outside)
        member_errors = [errors(n, data, trained[0].validation_index) for n in networks]
        metrics["validation_max_abs_error"] = max(e["max_abs_error"] for e in member_errors)
        metrics["derivative_rms_error"] = float(np.sqrt(np.mean(
            [e["derivative_rms_error"] ** 2 for e in member_errors])))
    elif spec.laplace:  # one mean-variance network, a Gaussian posterior on its last layer
        from learned_components.laplace import fit_laplace, laplace_report
        bar = Progress(spec.options.epochs + spec.options.lbfgs_steps) if progress else None
        trained = [train_network(data, spec.hidden, spec.activation, spec.options,
                                 mean_variance=True, progress=bar)]
        networks = [trained[0].module]
        index = trained[0].train_index
        laplace = fit_laplace(networks[0], data.inputs[index], data.outputs[index])
        metrics = laplace_report(laplace, data, trained[0].validation_index,
                                 outside_points(data.ranges, 1000, 0.5, spec.options.seed))
        e = errors(networks[0], data, trained[0].validation_index)
        metrics["validation_max_abs_error"] = e["max_abs_error"]
        metrics["derivative_rms_error"] = e["derivative_rms_error"]
    else:
        bar = Progress(spec.options.epochs + spec.options.lbfgs_steps) if progress else None
        trained = [train_network(data, spec.hidden, spec.activation, spec.options,
                                 progress=bar)]
        networks = [trained[0].module]
        e = errors(networks[0], data, trained[0].validation_index)
        metrics = {"validation_rms_error": e["rms_error"],
                   "validation_max_abs_error": e["max_abs_error"],
                   "validation_rms_error_per_output": e["rms_error_per_output"],
                   "derivative_rms_error": e["derivative_rms_error"],
                   "derivative_max_abs_error": e["derivative_max_abs_error"]}
    history = trained[0].history
    n_train, n_val = len(trained[0].train_index), len(trained[0].validation_index)
    training = {**metrics, "samples": len(data), "training_samples": n_train,
                "validation_samples": n_val, "seed": spec.options.seed,
                "noise_std": spec.noise,
                "steps": len(history.train_loss), "best_step": history.best_epoch,
                "stopped_early": history.stopped_early,
                "time_s": time.perf_counter() - started,
                "options": {k: getattr(spec.options, k)
                            for k in spec.options.__dataclass_fields__}}
    meta = _metadata(spec, data, networks, training)
    checkpoint = save_checkpoint(out.with_suffix(".pt"), networks, meta)
    exported = []
    n_in = len(data.input_names)
    if spec.component == MUSCLE_GEOMETRY:
        if spec.ensemble:
            f = ensemble_function([n.weights() for n in networks], n_in, "muscle_geometry_ensemble",
                                  "q")
            exported.append(write_surrogate(f, {**meta, "component": ENSEMBLE}, out)[0])
            for k, net in enumerate(networks, 1):
                member = geometry_function(net.weights(), n_in)
                member_meta = {**meta, "network": {**net.architecture(), "member": k},
                               "training": {**training, **member_errors_dict(net, data,
                                                                             trained[0])}}
                exported.append(write_surrogate(member, member_meta,
                                                out.with_name(f"{out.name}_member{k}"))[0])
        else:
            exported.append(write_surrogate(geometry_function(networks[0].weights(), n_in),
                                            meta, out)[0])
    elif spec.ensemble:  # as for geometry: the ensemble, and each member as a drop-in
        f = ensemble_function([n.weights() for n in networks], n_in, CONTACT_ENSEMBLE, "x")
        exported.append(write_surrogate(f, {**meta, "component": CONTACT_ENSEMBLE}, out)[0])
        for k, net in enumerate(networks, 1):
            member_meta = {**meta, "network": {**net.architecture(), "member": k},
                           "training": {**training, **member_errors_dict(net, data,
                                                                         trained[0])}}
            exported.append(write_surrogate(contact_function(net.weights()), member_meta,
                                            out.with_name(f"{out.name}_member{k}"))[0])
    else:
        exported.append(write_surrogate(contact_function(networks[0].weights()), meta, out)[0])
    if spec.laplace:  # beside the drop-in (the network's mean head): the uncertainty
        from learned_components.laplace import laplace_function
        exported.append(write_surrogate(
            laplace_function(laplace, f"{spec.component}_laplace"),
            {**meta, "component": f"{spec.component}_laplace"},
            out.with_name(f"{out.name}_laplace"))[0])

    lines += [
        f"data         {len(data)} samples ({n_train} training, {n_val} validation), "
        f"seed {spec.options.seed}" + (f", noise {shown(spec.noise, unit)}" if spec.noise
                                       else ""),
        f"network      {_layers(networks[0])}, {spec.activation}, "
        f"{networks[0].architecture()['parameters']} parameters"
        + (f", {len(networks)} members" if spec.ensemble else ""),
        f"training     {_steps(spec)}: best at step {history.best_epoch} of "
        f"{len(history.train_loss)}" + (" (stopped early)" if history.stopped_early else "")
        + f", {training['time_s']:.1f} s",
    ]
    geometry = spec.component == MUSCLE_GEOMETRY
    derivative = "moment arm" if geometry else "d force / d input"
    d_unit = unit if geometry else "N/m or N s/m"
    if spec.ensemble or spec.laplace:
        lines += [
            f"validation   mean RMS {shown(metrics['validation_rms_error'], unit)} "
            f"against noisy data (noise {shown(metrics['true_noise_std'], unit)}); "
            f"95% interval covers {100 * metrics['validation_coverage']:.1f}%",
            f"uncertainty  aleatoric std {shown(metrics['validation_aleatoric_std'], unit)}, "
            f"epistemic std {shown(metrics['validation_epistemic_std'], unit)} inside; "
            f"epistemic std {shown(metrics['outside_epistemic_std'], unit)} outside the "
            f"range ({metrics['epistemic_growth']:.3g}x the variance)"]
    else:
        scale = ""
        if spec.component != MUSCLE_GEOMETRY:  # relative to the force's peak
            peak = float(np.max(np.abs(data.exact_outputs)))
            scale = f" ({100 * metrics['validation_rms_error'] / peak:.2g}% of the peak " \
                    f"{peak:.4g} {unit})"
            metrics["peak_output"] = peak
        lines.append(
            f"validation   RMS {shown(metrics['validation_rms_error'], unit)}{scale}, max "
            f"{shown(metrics['validation_max_abs_error'], unit)}; {derivative} RMS "
            f"{shown(metrics['derivative_rms_error'], d_unit)}, max "
            f"{shown(metrics['derivative_max_abs_error'], d_unit)}")
    return TrainResult(spec, checkpoint, exported, training, lines)


def member_errors_dict(net, data: Dataset, trained) -> dict:
    """One member's errors against the noise-free lengths (for its own metadata)."""
    e = errors(net, data, trained.validation_index)
    return {"validation_rms_error": e["rms_error"], "validation_max_abs_error": e["max_abs_error"],
            "derivative_rms_error": e["derivative_rms_error"]}


def run(path, out=None, progress: bool = True) -> TrainResult:
    """Load the specification at ``path`` (``out`` overrides its ``out``) and train."""
    spec = load_spec(path)
    if out is not None:
        spec.out = Path(out)
    return train_from_spec(spec, progress)
