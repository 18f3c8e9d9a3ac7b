"""Deep ensembles of graph and recurrent networks: ``[training] ensemble = N``.

As for muscle geometry and contact (train.py), an ensemble of N members is
trained from seeds ``seed``, ``seed + 1``, ... (each member its own initial
weights and its own draws of the training data; Lakshminarayanan, Pritzel
and Blundell 2017). Written, next to each other:

- ``OUT_member1.casadi`` (``.json``, ``.pt``), ...: each member exactly as a
  single network of that specification would be written, a drop-in of its
  own (``ocp solve PROBLEM --members model.dynamics`` solves once per member);
- ``OUT.casadi`` (``.json``): the ensemble's mean, a drop-in with the members'
  signature. Tree dynamics: (q, qd, x) -> the members' mean (and the mean
  contact forces of a walker's network). A recurrent step: the members run
  side by side, (e, H) -> (mean activation, H'), H the members' states
  stacked (an LSTM's as [h_1 ... h_N, c_1 ... c_N], so that the first half is
  still the hidden state and the second the cell state).
"""
from __future__ import annotations

import dataclasses
import json

import casadi as ca

from learned_components.export import write_surrogate
from learned_components.training import TrainResult


def member_path(out, k: int):
    """``OUT_member<k>`` (k from 1) beside ``OUT``."""
    return out.with_name(f"{out.name}_member{k}")


def train_structured_ensemble(spec, train_one, progress: bool = True) -> TrainResult:
    """Train ``spec.ensemble`` members with ``train_one(member_spec, progress)`` (the
    single-network training of the component), then write the ensemble's mean."""
    results = []
    for k in range(1, spec.ensemble + 1):
        member = dataclasses.replace(spec, seed=spec.seed + k - 1,
                                     out=member_path(spec.out, k), ensemble=0)
        if progress:
            print(f"member {k}/{spec.ensemble} (seed {member.seed})", flush=True)
        results.append(train_one(member, progress))
    functions = [ca.Function.load(str(member_path(spec.out, k).with_suffix(".casadi")))
                 for k in range(1, spec.ensemble + 1)]
    metas = [json.loads(member_path(spec.out, k).with_suffix(".json").read_text())
             for k in range(1, spec.ensemble + 1)]
    recurrent = metas[0]["component"] == "emg_activation"
    mean = (recurrent_mean if recurrent else tree_mean)(functions, metas[0])
    meta = ensemble_metadata(metas, mean)
    path = write_surrogate(mean, meta, spec.out)[0]
    lines = [f"ensemble     {spec.ensemble} members, seeds {spec.seed} to "
             f"{spec.seed + spec.ensemble - 1}"]
    for k, r in enumerate(results, 1):
        lines += [f"member {k:<5} " + line for line in r.lines]
    lines.append(f"mean         {path.name}: the members' mean"
                 + (", their states side by side" if recurrent else ""))
    lines.append("checkpoints  " + ", ".join(r.checkpoint.name for r in results))
    exported = [p for r in results for p in r.exported] + [path]
    return TrainResult(spec, results[0].checkpoint, exported,
                       {"members": [r.metrics for r in results]}, lines)


def tree_mean(functions, meta) -> ca.Function:
    """(q, qd, x) -> the mean of each output over the members (tree dynamics)."""
    f0 = functions[0]
    args = [ca.SX.sym(f0.name_in(i), f0.sparsity_in(i)) for i in range(f0.n_in())]
    outs = [f(*args) for f in functions]
    outs = [o if isinstance(o, (list, tuple)) else [o] for o in outs]
    mean = [sum(o[j] for o in outs) / len(functions) for j in range(f0.n_out())]
    return ca.Function(f"{f0.name()}_ensemble", args, mean,
                       [f0.name_in(i) for i in range(f0.n_in())],
                       [f0.name_out(j) for j in range(f0.n_out())])


def recurrent_mean(functions, meta) -> ca.Function:
    """(e, H) -> (mean activation, H') of recurrent steps run side by side."""
    f0 = functions[0]
    n, size = len(functions), f0.size1_in(1)
    lstm = meta.get("architecture") == "lstm"
    e = ca.SX.sym("x")
    H = ca.SX.sym("h", n * size)
    half = size // 2

    def state(k):  # member k's [h; c] (LSTM) or h, from the stacked vector
        if lstm:
            return ca.vertcat(H[k * half:(k + 1) * half],
                              H[n * half + k * half:n * half + (k + 1) * half])
        return H[k * size:(k + 1) * size]

    steps = [f(e, state(k)) for k, f in enumerate(functions)]
    y = sum(s[0] for s in steps) / n
    nxt = [s[1] for s in steps]
    H_next = ca.vertcat(*[s[:half] for s in nxt], *[s[half:] for s in nxt]) if lstm \
        else ca.vertcat(*nxt)
    return ca.Function(f"{f0.name()}_ensemble", [e, H], [y, H_next],
                       [f0.name_in(0), f0.name_in(1)], [f0.name_out(0), f0.name_out(1)])


def ensemble_metadata(metas, function) -> dict:
    """Member 1's metadata with the ensemble's: members, their files and training, and
    (recurrent) the stacked state's size and bounds."""
    first = metas[0]
    n = len(metas)
    meta = {k: v for k, v in first.items()
            if k not in ("format", "version", "function", "casadi_file", "sha256")}
    meta["network"] = {**first.get("network", {}), "members": n}
    training = dict(first.get("training", {}))
    for key in ("validation_rms_error", "long_sequence_rms_error"):  # the worst member's
        values = [m.get("training", {}).get(key) for m in metas]
        if all(isinstance(v, (int, float)) for v in values):
            training[key] = max(values)
    meta["training"] = {**training, "members": [m.get("training", {}) for m in metas]}
    meta["members"] = [m["casadi_file"] for m in metas]
    if first["component"] == "emg_activation":
        meta["hidden_state"] = int(function.size1_in(1))
        bounds = [m.get("state_bounds") for m in metas]
        if all(b is not None for b in bounds):
            if first.get("architecture") == "lstm":
                half = len(bounds[0]) // 2
                meta["state_bounds"] = [b for m in bounds for b in m[:half]] + \
                    [b for m in bounds for b in m[half:]]
            else:
                meta["state_bounds"] = [b for m in bounds for b in m]
    return meta
