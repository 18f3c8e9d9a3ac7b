"""``ocp train`` for a walker's graph network with contact edges (contact_graph.py).

``problems/surrogates/gait2d_walker_graph.train.toml``::

    component = "tree_dynamics"
    out = "gait2d_walker_graph"

    [network]
    architecture = "graph"
    target = "inverse_dynamics"          # the only target with contact edges
    contact_edges = true
    contact_law = "gate"                 # or "depth_power" (contact_graph.CONTACT_LAWS)
    hidden = 16                          # the edge perceptron's width
    pretrained = "double_pendulum_graph.pt"   # tree weights trained on chains

    [model]
    name = "gait2d_torque"               # a tree whose root slides, with contact spheres

    [data]                               # samples of the walker's own inverse dynamics
    air = 1000                           # feet high up, any posture
    ground = 2000                        # a foot 3 cm deep to 6 cm up, walking postures
    walk = 2000                          # around a walk (and its mirror image):
    around = "gait2d_torque_walk_states.csv"   # its states and accelerations
    path = 700                           # around the iterates of a cold start's solve
    path_states = "gait2d_torque_cold_path_states.csv"
    walk_weight = 1.0                    # the walk samples' weight in the loss
    seed = 0

    [training]
    epochs = 600                         # Adam, then L-BFGS steps of 20 iterations
    lbfgs_steps = 20

Writes OUT.pt, OUT.casadi ((q, qd, qdd) -> (generalised forces, contact
forces)) and OUT.json, with the held-out errors (fresh seeds) of each kind.
"""
from __future__ import annotations

import numpy as np

from learned_components.checkpoint import save_checkpoint
from learned_components.contact_graph import (
    GATE_WIDTH_M,
    accuracy,
    sample_states,
    train_walker,
    walker_function,
    walker_layout,
)
from learned_components.export import write_surrogate
from learned_components.training import TrainResult
from ocp.errors import ProblemError
from ocp.models.contact import foot_of

KINDS = ("air", "ground", "walk", "path")


def read_walk(path, coordinates) -> tuple:
    """(q, qd, qdd) of a walk CSV (columns <coordinate>, <coordinate>_speed,
    <coordinate>_acceleration), with its mirror image (left and right swapped) appended."""
    with open(path) as f:
        header = f.readline().strip().split(",")
    data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    columns = []
    for suffix in ("", "_speed", "_acceleration"):
        for c in coordinates:
            if c + suffix not in header:
                raise ProblemError(f"walk states: no column '{c + suffix}' (expected the "
                                   f"coordinates, their speeds and accelerations)",
                                   file=str(path))
            columns.append(header.index(c + suffix))
    n = len(coordinates)
    x = data[:, columns]
    swap = [coordinates.index(_mirror(c)) if _mirror(c) in coordinates else i
            for i, c in enumerate(coordinates)]
    mirrored = np.hstack([x[:, [k * n + j for j in swap]] for k in range(3)])
    x = np.vstack([x, mirrored])
    return x[:, :n], x[:, n:2 * n], x[:, 2 * n:]


def pretrained_weights(path, channels: dict):
    """The weights (by name) of a chain-trained graph network's checkpoint, or None."""
    if path is None:
        return None
    from learned_components.checkpoint import load_checkpoint
    net = load_checkpoint(path).networks[0]
    arch = net.architecture()
    if arch.get("kind") != "graph" or any(arch.get(k) != v for k, v in channels.items()):
        raise ProblemError(f"pretrained: '{path.name}' is not a graph network with the "
                           f"channels {channels}", file=str(path))
    return net.weights()["weights"]


def _mirror(name: str) -> str:
    if name.endswith("_r"):
        return name[:-2] + "_l"
    if name.endswith("_l"):
        return name[:-2] + "_r"
    return name


def train_walker_dynamics(spec, progress: bool = True):
    model, o = spec.model, spec.walker
    layout = walker_layout(model)
    if progress:
        print(f"sampling the inverse dynamics of {model.name}: "
              f"{', '.join(f'{o[k]} {k}' for k in KINDS if o[k] > 0)} ...", flush=True)
    around, sets = training_sets(spec)
    if progress:
        print(f"training a graph network with {len(layout['contacts'])} contact edges ...",
              flush=True)
    weights = [o["walk_weight"] if k == "walk" else 1.0 for k in KINDS if o[k] > 0]
    net, seconds = train_walker(layout, sets, spec.channels, o["hidden"], spec.epochs,
                                spec.learning_rate, spec.lbfgs_steps, spec.seed, spec.threads,
                                pretrained_weights(o["pretrained"], spec.channels),
                                contact_law=o["contact_law"], set_weights=weights)
    return export_walker(spec, net, seconds, sets, around)


def training_sets(spec):
    """The states the walk and path samples are drawn around ({kind: (q, qd, qdd) or
    None}) and the sample sets of ``spec`` ([data], seeded)."""
    o = spec.walker
    coords = list(spec.model.tree.coordinates)
    around = {k: read_walk(o[key], coords) if o[key] is not None else None
              for k, key in (("walk", "around"), ("path", "path_states"))}
    counts = {k: o[k] for k in KINDS if o[k] > 0}
    return around, [sample_states(spec.model, k, v, spec.seed * 10 + i, around.get(k))
                    for i, (k, v) in enumerate(counts.items())]


def export_walker(spec, net, seconds: float, sets: list, around):
    """Held-out errors, OUT.pt, OUT.casadi and OUT.json of a trained walker network."""
    model, o = spec.model, spec.walker
    layout = net.layout
    coords = list(model.tree.coordinates)
    counts = {k: o[k] for k in KINDS if o[k] > 0}
    held_out = {k: accuracy(net, sample_states(model, k, 1000, spec.seed * 10 + 100 + i,
                                               around.get(k)))
                for i, k in enumerate(counts)}
    function = walker_function(net.weights(), layout, model)
    qd = np.concatenate([s["qd"] for s in sets])
    speeds = [{"name": f"{c}_speed", "unit": "rad/s" if k > 1 else "m/s",
               "range": [float(qd[:, k].min()), float(qd[:, k].max())]}
              for k, c in enumerate(coords)]
    contacts = [c["name"] for c in layout["contacts"]]
    training = {"time_s": seconds, "held_out": held_out, "samples": counts,
                "edge_force_unit": float(net.weights_["edge_scale"].detach().reshape(())),
                "pretrained": None if o["pretrained"] is None else o["pretrained"].name,
                "seed": spec.seed, "walk_states": None if o["around"] is None
                else o["around"].name, "path_states": None if o["path_states"] is None
                else o["path_states"].name, "gate_width_m": GATE_WIDTH_M}
    meta = {"component": "tree_dynamics", "target": "inverse_dynamics", "model": model.name,
            "model_table": spec.model_table, "coordinates": coords, "contacts": contacts,
            "layout": layout, "inputs": speeds,
            "outputs": [{"name": f"{c}_generalised_force", "unit": "N*m" if k > 1 else "N"}
                        for k, c in enumerate(coords)]
            + [{"name": f"{c}_{axis}", "unit": "N"} for c in contacts for axis in ("fx", "fy")],
            "network": net.architecture(), "training": training,
            "specification": spec.file.name}
    checkpoint = save_checkpoint(spec.out.with_suffix(".pt"), [net], meta)
    path = write_surrogate(function, meta, spec.out)[0]
    sides = sorted({foot_of(s) for s in model.contacts})
    lines = [f"component    tree_dynamics (inverse) of {model.name} with contact edges "
             f"{', '.join(contacts)} ({'/'.join(sides)} feet)",
             f"network      graph + contact edges, {net.architecture()['parameters']} weights, "
             f"{seconds:.1f} s"]
    for k, v in held_out.items():
        lines.append(f"held-out {k:<7} generalised forces {100 * v['tau_relative_rms']:.3g} % "
                     f"(relative RMS); contact forces RMS {v['contact_force_rms_N']:.3g} N "
                     f"= {100 * v['contact_force_rms_of_peak']:.3g} % of the peak "
                     f"{v['contact_force_peak_N']:.4g} N; per foot RMS "
                     f"{v['foot_force_rms_N']:.3g} N (peak {v['foot_force_peak_N']:.4g} N)")
    return TrainResult(spec, checkpoint, [path], training, lines)


#: Ground reaction outputs compared between two walks (ocp.models.contact.ground_reactions)
GRF_OUTPUTS = ("grf_x_r", "grf_y_r", "grf_x_l", "grf_y_l")


def walk_agreement(reference, other, points: int = 201, align_phase: bool = False) -> dict:
    """How closely ``other`` (a Solution) reproduces ``reference``'s walk.

    Objective difference (relative); per ground reaction of GRF_OUTPUTS, both
    curves on the normalised cycle time (0 to 1, linear interpolation), the
    RMS and largest difference and the difference of the peaks, each over
    the reference's largest vertical force (its peak); joint angles: RMS
    difference (rad) on the same grid.

    ``align_phase``: the half cycle of a symmetric walk may start at any instant
    of the stride (its initial state is free: the problem's optimum is one
    gait at every phase), so two solves can find the same gait shifted in
    time. Both walks are then compared over a whole stride (the half cycle and
    its mirror image, right and left swapped), ``other`` shifted by the
    fraction of the stride (``phase_shift_of_stride``) that makes the largest
    RMS difference of the ground reactions smallest.
    """
    s = np.linspace(0.0, 1.0, points, endpoint=not align_phase)

    def curve(sol, name):
        t = (sol.time - sol.time[0]) / (sol.time[-1] - sol.time[0])
        columns = sol.output_names if name.startswith("grf") else sol.state_names
        values = sol.outputs if name.startswith("grf") else sol.states
        half = np.interp(s, t, values[:, list(columns).index(name)])
        if not align_phase:
            return half
        return np.concatenate([half, np.interp(s, t, values[:, list(columns).index(
            _mirror(name))])])

    shift = 0
    if align_phase:
        ref = {g: curve(reference, g) for g in GRF_OUTPUTS}
        oth = {g: curve(other, g) for g in GRF_OUTPUTS}
        shift = min(range(2 * points), key=lambda k: max(
            np.mean((ref[g] - np.roll(oth[g], k)) ** 2) for g in GRF_OUTPUTS))

    def pair(name):
        return curve(reference, name), np.roll(curve(other, name), shift)

    peak = max(float(np.max(np.abs(curve(reference, g)))) for g in GRF_OUTPUTS if "_y_" in g)
    grf = {}
    for g in GRF_OUTPUTS:
        a, b = pair(g)
        grf[g] = {"rms_of_peak": float(np.sqrt(np.mean((a - b) ** 2)) / peak),
                  "max_of_peak": float(np.max(np.abs(a - b)) / peak),
                  "peak_difference_of_peak": float((np.max(np.abs(b)) - np.max(np.abs(a)))
                                                   / peak)}
    angles = [c for c in reference.state_names
              if not c.endswith("_speed") and not c.startswith("pelvis_t")]
    return {"objective_relative": other.objective / reference.objective - 1.0,
            "final_time_s": (reference.final_time, other.final_time),
            "peak_vertical_grf_N": peak, "grf": grf,
            "phase_shift_of_stride": shift / (2 * points) if align_phase else 0.0,
            "grf_rms_of_peak": max(v["rms_of_peak"] for v in grf.values()),
            "grf_peak_difference_of_peak": max(abs(v["peak_difference_of_peak"])
                                               for v in grf.values()),
            "joint_angle_rms_rad": float(np.sqrt(np.mean([
                np.subtract(*pair(c)) ** 2 for c in angles])))}


def path_states(problem, iterations) -> tuple:
    """(columns, rows): the states and accelerations of a solve's iterates after each of
    ``iterations`` IPOPT iterations (a Problem: its own guess, its first mesh), for
    path samples ([data] path_states): where a cold start's path goes, such as the
    first iterates' feet deep in the ground. Each count is its own solve, stopped
    there (IPOPT is deterministic, so the same path)."""
    import copy
    import dataclasses

    from ocp.solve import solve
    rows, columns = [], None
    for k in iterations:
        p = copy.copy(problem)
        p.mesh_refinement = None
        p.solver = dataclasses.replace(problem.solver, max_iterations=int(k))
        s = solve(p, check_dynamics=False)
        if columns is None:
            columns = ["iteration", *s.state_names, *s.algebraic_names]
        rows.append(np.column_stack([np.full(len(s.time), k), s.states, s.algebraics]))
    return columns, np.vstack(rows)
