"""``ocp train`` for graph networks (tree dynamics) and recurrent networks (EMG -> activation).

Writes OUT.pt (checkpoint), OUT.casadi and OUT.json as for the other
surrogates. A tree-dynamics surrogate is the trained graph network unrolled
over the ``[model]`` tree (``[model] dynamics = "OUT.casadi"`` in a problem
file); an EMG-activation surrogate is the recurrent step (x, h) -> (y, h').
"""
from __future__ import annotations

import json
import time

import casadi as ca
import numpy as np

from learned_components._torch import require_torch
from learned_components.checkpoint import load_checkpoint, save_checkpoint
from learned_components.export import write_surrogate
from learned_components.graph import INVERSE_DYNAMICS, graph_function, relative_rms
from learned_components.graph_training import (
    GraphTask,
    evaluate,
    evaluation_sets,
    graph_predict,
    train_graph,
    training_chains,
)
from learned_components.recurrent import (
    gait_sequence,
    gradient_profile,
    gradient_ratio,
    predict,
    rollout,
    state_bounds,
    step_function,
    train_sequence_net,
)
from learned_components.sequence import emg_data, fatigue_data
from learned_components.structured_spec import (
    MULTIBODY_PINN,
    TREE_DYNAMICS,
    StructuredSpec,
)
from learned_components.training import TrainResult
from learned_components.tree_data import STATE_RANGES, rnea, tree_of_model

torch = require_torch()


def _software() -> dict:
    return {"torch": str(torch.__version__), "casadi": str(ca.__version__)}


def model_states(tree: dict, samples: int, seed: int):
    """Random (q, qd, qdd, tau) of one fixed tree (tree_of_model), each (samples, n)."""
    rng = np.random.default_rng(seed)
    n = len(tree["parents"])
    q, qd, qdd = (rng.uniform(-1, 1, (samples, n)) * STATE_RANGES[k]
                  for k in ("q", "qd", "qdd"))
    rep = lambda v: np.broadcast_to(np.asarray(v, float), (samples, *np.shape(v))).copy()  # noqa
    tau = rnea(tree["parents"], rep(tree["mass_kg"]), rep(tree["inertia_kg_m2"]),
               rep(tree["joint_m"]), rep(tree["com_m"]), rep(tree["offset_rad"]), q, qd, qdd,
               tree["gravity_m_s2"])
    return q, qd, qdd, tau


def check_tree_export(function: ca.Function, tree: dict, target: str, samples: int = 500,
                      seed: int = 7) -> float:
    """Relative RMS error of an exported tree function against Newton-Euler on the tree."""
    q, qd, qdd, tau = model_states(tree, samples, seed)
    x, truth = (qdd, tau) if target == INVERSE_DYNAMICS else (tau, qdd)
    out = np.array(function.map(samples)(q.T, qd.T, x.T)).T
    return relative_rms(out, truth)


def train_tree_dynamics(spec: StructuredSpec, progress: bool = True):
    if spec.walker:
        from learned_components.walker_training import train_walker_dynamics
        return train_walker_dynamics(spec, progress)
    task = graph_task(spec)
    if progress:
        print(f"training a graph network ({spec.target}) on chains of "
              f"{', '.join(map(str, spec.segments))} segments ...", flush=True)
    net, seconds = train_graph(task)
    errors = evaluate(lambda b: graph_predict(net, b, spec.target), evaluation_sets(1000),
                      spec.target)
    tree = tree_of_model(spec.model.tree)
    function = graph_function(net.weights(), tree, spec.target)
    model_error = check_tree_export(function, tree, spec.target)
    coords = list(spec.model.tree.coordinates)
    n = len(coords)
    qs = [{"name": c, "unit": "rad", "range": [-STATE_RANGES["q"], STATE_RANGES["q"]]}
          for c in coords]
    speeds = [{"name": f"{c}_speed", "unit": "rad/s",
               "range": [-STATE_RANGES["qd"], STATE_RANGES["qd"]]} for c in coords]
    third = [{"name": f"{c}_{'acceleration' if spec.target == INVERSE_DYNAMICS else 'torque'}",
              "unit": "rad/s^2" if spec.target == INVERSE_DYNAMICS else "N*m"} for c in coords]
    outputs = [{"name": f"{c}_{'torque' if spec.target == INVERSE_DYNAMICS else 'acceleration'}",
                "unit": "N*m" if spec.target == INVERSE_DYNAMICS else "rad/s^2"}
               for c in coords]
    training = {"time_s": seconds, "relative_rms_error": errors,
                "model_relative_rms_error": model_error, "seed": spec.seed,
                "segments": list(spec.segments), "samples_per_size": spec.samples,
                "proportions": "+-15 % of a uniform 1 kg, 1 m rod per segment and property"}
    meta = {"component": TREE_DYNAMICS, "target": spec.target, "model": spec.model.name,
            "model_table": spec.model_table, "coordinates": coords, "tree": tree,
            # the angles enter through rotations (periodic, no range); the speeds have one
            "inputs": speeds, "input_groups": [qs, "qd", third],
            "outputs": outputs, "network": net.architecture(), "training": training,
            "specification": spec.file.name, "software": _software()}
    checkpoint = save_checkpoint(spec.out.with_suffix(".pt"), [net], meta)
    path = write_surrogate(function, meta, spec.out)[0]
    lines = [f"component    {TREE_DYNAMICS} ({spec.target}) of {spec.model.name}, "
             f"{n} joints",
             f"network      graph, {net.architecture()['parameters']} weights shared over "
             f"nodes and edges, {seconds:.1f} s",
             *[f"relative RMS {100 * v:.3g} % on {k}" for k, v in errors.items()],
             f"exported     unrolled over {spec.model.name}: relative RMS "
             f"{100 * model_error:.3g} % against Newton-Euler"]
    return TrainResult(spec, checkpoint, [path], training, lines)


def emg_sequences(spec: StructuredSpec, sequences: int, seed: int):
    """The task's EMG sequences of an emg_activation specification."""
    if spec.task == "fatigue":
        return fatigue_data(sequences, spec.duration_s, spec.rate_hz, spec.noise, seed)
    return emg_data("fast", sequences, spec.duration_s, spec.rate_hz, spec.noise, seed)


def graph_task(spec: StructuredSpec) -> GraphTask:
    return GraphTask(spec.target, spec.segments, spec.samples, spec.channels, spec.epochs,
                     spec.learning_rate, spec.lbfgs_steps, spec.forward_steps, spec.seed,
                     spec.threads)


def training_data(spec: StructuredSpec):
    """What a network of ``spec`` was trained on: (envelopes, activations) or chains."""
    if spec.component == TREE_DYNAMICS:
        return training_chains(graph_task(spec))
    train = emg_sequences(spec, spec.sequences, spec.seed)
    return train.envelopes, train.activations


def train_emg_activation(spec: StructuredSpec, progress: bool = True):
    train = emg_sequences(spec, spec.sequences, spec.seed)
    test = emg_sequences(spec, max(4, spec.sequences // 3), spec.seed + 10)
    if progress:
        print(f"training a {spec.architecture.upper()} ({spec.hidden} hidden) on "
              f"{spec.sequences} EMG sequences ...", flush=True)
    net, seconds = train_sequence_net(spec.architecture, train.envelopes, train.activations,
                                      spec.hidden, spec.epochs, spec.learning_rate, spec.seed,
                                      spec.threads, spec.init, train.envelopes.shape[1])
    rms = float(np.sqrt(np.mean((predict(net, test.envelopes) - test.activations) ** 2)))
    envelope, activation = gait_sequence(rate_hz=spec.rate_hz, noise=spec.noise,
                                         seed=spec.seed + 20)
    long_rms = float(np.sqrt(np.mean((predict(net, envelope[None])[0] - activation) ** 2)))
    ratio = gradient_ratio(gradient_profile(net, envelope))
    step = step_function(net.weights(), f"{spec.architecture}_step")
    export_error = float(np.max(np.abs(rollout(step, test.envelopes[0])
                                       - predict(net, test.envelopes[:1])[0])))
    training = {"time_s": seconds, "task": spec.task, "init": spec.init,
                "validation_rms_error": rms, "long_sequence_rms_error":
                long_rms, "long_sequence_steps": len(envelope), "gradient_ratio": ratio,
                "export_max_abs_difference": export_error, "seed": spec.seed}
    meta = {"component": "emg_activation", "architecture": spec.architecture,
            "rate_hz": spec.rate_hz,
            "inputs": [{"name": "envelope", "unit": "-",
                        "range": [0.0, float(train.envelopes.max())]}],
            "outputs": [{"name": "activation", "unit": "-"}],
            "hidden_state": int(step.size1_in(1)), "network": net.architecture(),
            # for excitations in [0, 1] (the muscle's bounds) and the training envelopes
            "state_bounds": state_bounds(net.weights(), (min(0.0, float(train.envelopes.min())),
                                                         max(1.0, float(train.envelopes.max())))),
            "training": training, "specification": spec.file.name,
            "software": _software()}
    checkpoint = save_checkpoint(spec.out.with_suffix(".pt"), [net], meta)
    path = write_surrogate(step, meta, spec.out)[0]
    lines = [f"component    emg_activation, {spec.architecture} with {spec.hidden} hidden "
             f"({net.architecture()['parameters']} weights), {seconds:.1f} s",
             f"validation   RMS {rms:.4f} (activation 0..1); {len(envelope)}-step gait "
             f"sequence RMS {long_rms:.4f}",
             f"memory       |dL/dx_1| / |dL/dx_T| = {ratio:.3g} over {len(envelope)} steps",
             f"exported     step (x, h) -> (y, h'), rollout matches torch to "
             f"{export_error:.1e}"]
    return TrainResult(spec, checkpoint, [path], training, lines)


def train_multibody_pinn(spec: StructuredSpec, progress: bool = True):
    """Identify the triple pendulum's m, I, b from a simulated noisy motion; OUT.json."""
    from learned_components import pinn_multibody as pm
    o = spec.pinn
    chain = pm.Chain()
    motion = pm.noisy_motion(chain, o["samples"], spec.duration_s, o["noise_rad"], spec.seed)
    common = {"collocation": o["collocation"], "hidden": o["hidden"],
              "adam_steps": spec.epochs, "lbfgs_steps": spec.lbfgs_steps,
              "learning_rate": spec.learning_rate, "seed": spec.seed,
              "threads": spec.threads}
    if progress:
        print(f"training a multibody PINN on {o['samples']} noisy samples "
              f"({o['noise_rad']} rad) of a triple pendulum ...", flush=True)
    if spec.architecture == "spline":
        from learned_components.pinn_spline import fit_spline_pinn
        fits = [fit_spline_pinn(chain, motion, o["intervals"], threads=spec.threads)]
    else:
        fits = [pm.fit_pinn(chain, motion, weight=o["weight"], **common)]
    if o["data_only"]:
        fits.append(pm.fit_data_only(chain, motion, **common))
    truth = pm.unpack(chain.vector())
    results = {f.method: {"parameters": f.parameters, "standard_errors": f.standard_errors,
                          "relative_errors": f.relative_errors, "time_s": f.time_s,
                          "worst_mass_inertia_error": f.worst()} for f in fits}
    meta = {"component": spec.component, "chain": {"length_m": list(chain.length_m),
                                                    "com_m": list(chain.com_m)},
            "truth": truth, "data": {"samples": o["samples"], "duration_s": spec.duration_s,
                                     "noise_std_rad": o["noise_rad"], "seed": spec.seed},
            "results": results, "specification": spec.file.name, "software": _software(),
            "standard_errors": "output-error (Gauss-Newton about the motion simulated "
                               "with the estimate)" if spec.architecture == "spline" else
                               "linear least squares on the network's derivatives "
                               "(approximate: the network's own uncertainty is ignored)"}
    path = spec.out.with_suffix(".json")
    path.write_text(json.dumps(meta, indent=1))
    lines = [f"component    {spec.component}: m, I, b of a triple pendulum from "
             f"{o['samples']} samples, noise {o['noise_rad']} rad"]
    for f in fits:
        lines.append(f"{f.method:<12} worst |error| on masses and inertias "
                     f"{100 * f.worst():.3g} %, damping "
                     f"{100 * f.worst(('damping_Nms_rad',)):.3g} %, {f.time_s:.1f} s")
    return TrainResult(spec, path, [], {"results": results}, lines)


def train_structured(spec: StructuredSpec, progress: bool = True):
    started = time.perf_counter()
    train_one = {TREE_DYNAMICS: train_tree_dynamics, MULTIBODY_PINN: train_multibody_pinn}.get(
        spec.component, train_emg_activation)
    if spec.ensemble:  # members from seeds seed + k, each a drop-in, and their mean
        from learned_components.structured_ensemble import train_structured_ensemble
        result = train_structured_ensemble(spec, train_one, progress)
    elif spec.laplace:  # one network, its read-out's posterior, posterior draws as members
        from learned_components.structured_laplace import train_structured_laplace
        result = train_structured_laplace(
            spec, train_one, training_data,
            lambda path: load_checkpoint(path).networks[0], progress)
    else:
        result = train_one(spec, progress)
    result.metrics["total_time_s"] = time.perf_counter() - started
    return result
