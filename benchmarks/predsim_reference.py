"""PredSim's own solution of its standard problem, read and scored by our problem file.

PredSim (KU Leuven, AGPL-3.0; github KULeuvenNeuromechanics/PredSim) ships its run of
the Falisse et al. 2022 problem in ``Tests/ReferenceResults/Falisse_et_al_2022/``: a
log, a ``.mot`` and a ``.mat`` (MATLAB 5 format: ``scipy.io.loadmat`` reads it; no
h5py needed). The ``.mat`` holds ``w_opt``, the NLP's solution vector, whose layout
is that of PredSim's ``OCP/OCP_formulation.m`` (read, not copied): the final time, then
per variable a (names x points) block stored column by column, scaled by
``setup.scaling``:

    tf | a (M, N+1) | a at the collocation points (M, dN) | F~T (M, N+1) | F~T col |
    q (n, N+1) | q col | q' (n, N+1) | q' col | arm activations (8, N+1) | col |
    da/dt (M, N) | arm excitations (8, N) | dF~T/dt col (M, dN) | q'' col (n, dN)

(Radau collocation, d = 3 points per interval, N = 50 intervals, M = 92 muscles,
n = 31 coordinates). The log's objective, 1.1301045, is IPOPT's *scaled* objective
(gradient-based scaling); the objective in PredSim's own units is 339.98777 (the log's
"unscaled" column, and the sum of the ``.mat``'s ``R.objective.absoluteValues``: 165.15
metabolic energy, 58.52 activations, 29.34 arm excitations, 85.47 joint accelerations,
1.515 limit torques, < 2e-5 the rest).

:func:`score` evaluates our problem's cost terms on that solution two ways:

- ``predsim quadrature``: at PredSim's collocation points with its Radau weights, so
  that each term is held against PredSim's own value of the same term (what differs
  is then the model: muscle geometry fits, tendon and metabolic details);
- ``our mesh``: PredSim's states at its 51 mesh points, which are our trapezoidal
  mesh's points for the same final time, through our transcribed NLP (``cost_terms``
  of the decision vector), which is what our problem file makes of that motion.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import casadi as ca
import numpy as np

#: Radau IIA collocation (3 points): the points in the interval and their weights
RADAU_TAU = np.array([(4 - 6 ** 0.5) / 10, (4 + 6 ** 0.5) / 10, 1.0])
RADAU_B = np.array([(16 - 6 ** 0.5) / 36, (16 + 6 ** 0.5) / 36, 1 / 9])
#: PredSim's label of each of its objective terms -> our cost term's name in
#: problems/predsim_falisse2022.toml
TERMS = {"metabolic energy": "metabolic", "muscle activation": "activations",
         "actuator excitation": "arm_excitations", "joint accelerations": "accelerations",
         "limit torques": "passive_torques"}


@dataclass
class Reference:
    """PredSim's solution, unscaled (SI units, radians), by our variable names.

    ``mesh``: name -> values at the N+1 mesh points; ``colloc``: name -> values at
    the d N collocation points (interval-major); ``interval``: name -> the N
    per-interval controls (arm excitations, muscle da/dt).
    """

    tf: float
    n_intervals: int
    mesh: dict
    colloc: dict
    interval: dict
    coordinates: list
    muscles: list
    terms: dict            # PredSim's label -> its value (PredSim's units)
    objective: float       # sum of the terms (the log's unscaled objective)
    body_mass: float


def read_reference(mat: Path, d: int = 3) -> Reference:
    """PredSim's ``Falisse_et_al_2022_paper.mat``, unpacked by our names."""
    from scipy.io import loadmat

    m = loadmat(str(mat), simplify_cells=True)
    R, scaling = m["R"], m["setup"]["scaling"]
    coords = [str(c) for c in R["colheaders"]["coordinates"]]
    muscles = [str(c) for c in R["colheaders"]["muscles"]]
    arms = [str(p["coord_name"]) for p in m["model_info"]["actuator_info"]["parameters"]]
    w = np.asarray(m["w_opt"], float).ravel()
    N = int(m["R"]["S"]["solver"]["N_meshes"])
    n, M, A = len(coords), len(muscles), len(arms)
    pos = [0]

    def take(rows, cols):   # a (rows x cols) MATLAB block -> (cols, rows) array
        out = w[pos[0]:pos[0] + rows * cols].reshape(cols, rows)
        pos[0] += rows * cols
        return out

    tf = float(take(1, 1)[0, 0])
    blocks = {}
    for key, rows, cols in (("a", M, N + 1), ("a_col", M, d * N), ("F", M, N + 1),
                            ("F_col", M, d * N), ("q", n, N + 1), ("q_col", n, d * N),
                            ("qd", n, N + 1), ("qd_col", n, d * N), ("aa", A, N + 1),
                            ("aa_col", A, d * N), ("vA", M, N), ("ea", A, N),
                            ("dF_col", M, d * N), ("qdd_col", n, d * N)):
        blocks[key] = take(rows, cols)
    if pos[0] != w.size:
        raise ValueError(f"{mat}: w_opt has {w.size} values, the layout {pos[0]}")
    sq = np.asarray(scaling["Qs"], float).ravel()
    sqd = np.asarray(scaling["Qdots"], float).ravel()
    sqdd = np.asarray(scaling["Qdotdots"], float).ravel()
    sF = np.asarray(scaling["FTtilde"], float).ravel()
    sdF, svA = float(scaling["dFTtilde"]), float(scaling["vA"])
    mesh, colloc, interval = {}, {}, {}
    for i, c in enumerate(coords):
        mesh[c], colloc[c] = blocks["q"][:, i] * sq[i], blocks["q_col"][:, i] * sq[i]
        mesh[f"{c}_speed"] = blocks["qd"][:, i] * sqd[i]
        colloc[f"{c}_speed"] = blocks["qd_col"][:, i] * sqd[i]
        colloc[f"{c}_acceleration"] = blocks["qdd_col"][:, i] * sqdd[i]
    for i, mu in enumerate(muscles):
        mesh[f"{mu}_activation"], colloc[f"{mu}_activation"] = blocks["a"][:, i], \
            blocks["a_col"][:, i]
        mesh[f"{mu}_tendon_force"] = blocks["F"][:, i] * sF[i]
        colloc[f"{mu}_tendon_force"] = blocks["F_col"][:, i] * sF[i]
        colloc[f"{mu}_tendon_force_rate"] = blocks["dF_col"][:, i] * sdF / 10  # ours: /10
        interval[f"{mu}_activation_rate"] = blocks["vA"][:, i] * svA
    for i, arm in enumerate(arms):
        name = f"actuator_{arm}"
        mesh[f"{name}_activation"] = blocks["aa"][:, i]
        colloc[f"{name}_activation"] = blocks["aa_col"][:, i]
        interval[f"{name}_excitation"] = blocks["ea"][:, i]
    objective = R["objective"]
    terms = {str(k): float(v) for k, v in zip(objective["labels"], objective["absoluteValues"])}
    return Reference(tf=tf, n_intervals=N, mesh=mesh, colloc=colloc, interval=interval,
                     coordinates=coords, muscles=muscles, terms=terms,
                     objective=float(sum(terms.values())),
                     body_mass=float(m["model_info"]["mass"]))


def radau_end_slopes(ref: Reference, name: str) -> np.ndarray:
    """d/dt of a state at the N+1 mesh points from PredSim's collocation polynomials
    (at a mesh point k >= 1 the last point of interval k-1, at 0 the first interval's
    polynomial): where PredSim has no variable (q'' and dF~T/dt at mesh points)."""
    N, h = ref.n_intervals, ref.tf / ref.n_intervals
    tau = np.concatenate([[0.0], RADAU_TAU])
    y = np.concatenate([[ref.mesh[name][0]], ref.colloc[name][:3]])
    slope0 = np.polyval(np.polyder(np.polyfit(tau, y, 3)), 0.0) / h
    out = np.empty(N + 1)
    out[0] = slope0
    for k in range(N):   # slope at the interval's end from its own polynomial
        yk = np.concatenate([[ref.mesh[name][k]], ref.colloc[name][3 * k:3 * k + 3]])
        out[k + 1] = np.polyval(np.polyder(np.polyfit(tau, yk, 3)), 1.0) / h
    return out


def point_values(model, ref: Reference, where: str):
    """(X, U, Z) arrays (names x points) of PredSim's solution at its mesh points
    (``where = "mesh"``) or collocation points (``"colloc"``), in our model's order.
    Muscle excitations (no cost term reads them) are set to the activations."""
    N = ref.n_intervals
    P = N + 1 if where == "mesh" else 3 * N
    src = ref.mesh if where == "mesh" else ref.colloc

    def row(name):
        if name in src:
            return np.asarray(src[name], float)
        if where == "mesh" and name.endswith("_acceleration"):
            return radau_end_slopes(ref, name[:-len("_acceleration")] + "_speed")
        if where == "mesh" and name.endswith("_tendon_force_rate"):
            return radau_end_slopes(ref, name[:-len("_rate")]) / 10
        if name.endswith("_excitation"):
            state = name[:-len("_excitation")] + "_activation"
            if name in ref.interval:   # arm excitations: one per interval
                e = ref.interval[name]
                return np.append(e, e[-1]) if where == "mesh" else np.repeat(e, 3)
            return row(state)
        raise KeyError(f"PredSim's solution has no value for '{name}'")

    X = np.array([row(n) for n in model.state_names])
    U = np.array([row(n) for n in model.control_names])
    Z = np.array([row(n) for n in model.algebraic_names])
    assert X.shape[1] == P
    return X, U, Z


def score_predsim_quadrature(problem, ref: Reference) -> dict:
    """Each of our weighted cost terms at PredSim's collocation points, integrated
    with its Radau weights and divided by its distance, as PredSim's objective is."""
    model = problem.model
    from ocp.costs.base import PointVariables

    X, U, Z = point_values(model, ref, "colloc")
    x = ca.SX.sym("x", len(model.state_names))
    u = ca.SX.sym("u", len(model.control_names))
    z = ca.SX.sym("z", len(model.algebraic_names))
    t = ca.SX.sym("t")
    N, h = ref.n_intervals, ref.tf / ref.n_intervals
    times = (np.arange(N)[:, None] + RADAU_TAU[None, :]).ravel() * h
    weights = np.tile(RADAU_B, N) * h
    distance = ref.mesh["pelvis_tx"][-1] - ref.mesh["pelvis_tx"][0]
    out = {}
    for term in problem.costs:
        expr = term.integrand(PointVariables(model, t, x, u, z))
        fun = ca.Function("L", [t, x, u, z], [expr]).map(times.size)
        values = np.asarray(fun(times, X, U, Z)).ravel()
        value = term.weight * float(weights @ values)
        if term.divide_by_displacement is not None:
            value /= distance
        out[term.name] = value
    return out


def decision_vector(nlp, X, U, Z, tf) -> np.ndarray:
    """The NLP's decision vector of a trajectory: (X; U; Z) point by point, then tf."""
    w = np.vstack([X, U, Z]).ravel(order="F")
    return np.append(w, tf) if nlp.lbx.size == w.size + 1 else w


def score_our_mesh(problem, nlp, ref: Reference) -> tuple[dict, dict]:
    """Our transcribed NLP's weighted cost terms and constraint residuals at PredSim's
    solution on our mesh (its 51 mesh points). Residuals: the largest violation of
    each group of constraints (bounds included) as {group: value}."""
    X, U, Z = point_values(problem.model, ref, "mesh")
    if nlp.n_points != X.shape[1]:
        raise ValueError(f"our mesh has {nlp.n_points} points, PredSim's {X.shape[1]}: "
                         "score with intervals = 50 and the trapezoidal scheme")
    w = decision_vector(nlp, X, U, Z, ref.tf)
    terms = np.asarray(nlp.cost_terms(w)).ravel()
    out = {name: float(v) for name, v in zip(nlp.cost_names, terms)}
    below, above = nlp.lbx - w, w - nlp.ubx
    worst = np.maximum(below, above)
    names = problem.model.state_names + problem.model.control_names + \
        problem.model.algebraic_names
    n_rows = len(names)
    bound_viol = {}
    for k in np.nonzero(worst > 1e-9)[0]:
        name = names[k % n_rows] if k < n_rows * X.shape[1] else "final time"
        bound_viol[name] = max(bound_viol.get(name, 0.0), float(worst[k]))
    return out, bound_viol


def predsim_guess(problem, mot: Path, percent: float = 100.0) -> dict:
    """PredSim's data-informed guess (its ``OCP/getGuess_DI_opti.m``, read, not copied)
    set on ``problem``, from a .mot of measured joint angles (PredSim's
    ``OCP/IK_Guess_Full_GC.mot``: one gait cycle, ``percent`` = 100).

    - the angles of the file's first half cycle spread over the half cycle: the guess's
      final time is that half cycle's duration (PredSim spreads the same rows over its
      mesh), so its last point is the mirror of its first;
    - the speeds, derivatives of a spline through the angles (PredSim's too);
    - activations and excitations 0.1 (the problem file's), tendon forces F~T 0.1
      (PredSim's ``guess.FTtilde``);
    - the pelvis height raised (or lowered) by the constant that makes the contact
      spheres carry body weight on average over the half cycle. PredSim keeps the
      file's height (``adapt_IG_pelvis_y = 0`` in its reference run); on our spheres
      the file's height presses the feet 2.4 body weights into the ground, 1 cm lower.

    Returns {"final_time": s, "pelvis_shift": m} of the guess.

    The benchmarks build this guess through the problem file instead (``[guess]
    reference_gait_cycle``, ``reference_support``: what ``ocp solve --set
    guess.reference=...`` does); this second construction, written from PredSim's code
    apart from that one, is what tests/test_gait_cycle_guess.py holds it against.
    """
    import casadi as ca

    from ocp.data.references import reference_from_file, with_speed_references
    from ocp.engine.guess import interpolated_guess

    model = problem.model
    refs = reference_from_file(mot, model)
    times = np.asarray(next(iter(refs.values()))[0], float)
    rows = times.size
    half = (rows * 50.0 / percent) * (times[1] - times[0])
    problem.final_time_guess = float(half)
    problem.guess_references = with_speed_references(refs, model)
    for muscle in model.muscles:
        if f"{muscle.name}_tendon_force" in model.state_names:
            problem.guess_values[f"{muscle.name}_tendon_force"] = 0.1
    grid = np.linspace(0.0, 1.0, 51)
    X, U, _, _ = interpolated_guess(problem, grid)
    x = ca.SX.sym("x", len(model.state_names))
    u = ca.SX.sym("u", len(model.control_names))
    out = model.outputs(x, u)
    vertical = ca.Function("fy", [x, u], [out["grf_y_r"] + out["grf_y_l"]]).map(grid.size)
    weight = sum(b.mass_kg for b in model.tree.tree.bodies) * 9.80665
    iy = list(model.state_names).index("pelvis_ty")

    def mean_load(shift):   # body weights carried on average by the spheres
        Xs = X.copy()
        Xs[iy] += shift
        return float(np.mean(np.asarray(vertical(Xs, U)))) / weight

    lo, hi = -0.05, 0.10      # the load falls as the pelvis rises: bisect for 1 BW
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if mean_load(mid) > 1.0 else (lo, mid)
    shift = 0.5 * (lo + hi)
    t_ref, y_ref = problem.guess_references["pelvis_ty"]
    problem.guess_references["pelvis_ty"] = (t_ref, np.asarray(y_ref) + shift)
    return {"final_time": float(half), "pelvis_shift": float(shift)}


def geometry_against_predsim(model, mat: Path) -> dict:
    """Our muscle paths against PredSim's polynomials along PredSim's own gait cycle.

    PredSim's ``.mat`` keeps, for its solution's gait cycle (``R.kinematics.Qs``, deg),
    the muscle-tendon lengths ``R.muscles.lMT`` (m) and moment arms ``R.muscles.dM``
    (m; time x muscle x coordinate) of its polynomials. Ours are evaluated at the same
    angles. Returns {"length_mm": {muscle: RMS}, "arm_mm": {(muscle, coordinate): RMS}}
    over the pairs where PredSim's arm reaches 0.1 mm."""
    from scipy.io import loadmat

    R = loadmat(str(mat), simplify_cells=True)["R"]
    coords = [str(c) for c in R["colheaders"]["coordinates"]]
    muscles = [str(c) for c in R["colheaders"]["muscles"]]
    Q = np.asarray(R["kinematics"]["Qs"], float)
    ours = list(model.tree.coordinates)
    kinds = model.coordinate_kinds()
    q = np.array([np.radians(Q[:, coords.index(c)]) if kinds[c] == "revolute"
                  else Q[:, coords.index(c)] for c in ours])
    qs = ca.SX.sym("q", len(ours))
    lengths, arms = model.path_geometry(qs)
    T = Q.shape[0]
    L, A = (np.asarray(v) for v in ca.Function("g", [qs], [lengths, arms]).map(T)(q))
    names = [m.name for m in model.muscles]
    A = A.reshape(len(ours), T, len(names))
    lmt, dM = np.asarray(R["muscles"]["lMT"], float), np.asarray(R["muscles"]["dM"], float)
    length = {n: 1000 * float(np.sqrt(np.mean((L[names.index(n)] - lmt[:, k]) ** 2)))
              for k, n in enumerate(muscles)}
    arm = {}
    for k, n in enumerate(muscles):
        for j, c in enumerate(coords):
            if c in ours and np.max(np.abs(dM[:, k, j])) >= 1e-4:
                ours_arm = A[ours.index(c), :, names.index(n)]
                arm[(n, c)] = 1000 * float(np.sqrt(np.mean((ours_arm - dM[:, k, j]) ** 2)))
    return {"length_mm": length, "arm_mm": arm}


def predsim_solution(problem, mat: Path):
    """PredSim's own solution (its ``.mat``) as a warm start for ``problem``: what
    :func:`ocp.engine.guess.warm_start_guess` reads of a Solution (time, states,
    controls and algebraic variables by name), at PredSim's mesh and collocation
    points together (on a Radau mesh of 50 intervals they are ours). Starting there
    tells whether our problem has an optimum near PredSim's and what it costs."""
    from types import SimpleNamespace

    ref = read_reference(mat)
    model, N, h = problem.model, ref.n_intervals, ref.tf / ref.n_intervals
    Xm, Um, Zm = point_values(model, ref, "mesh")
    Xc, Uc, Zc = point_values(model, ref, "colloc")
    tc = ((np.arange(N)[:, None] + RADAU_TAU[None, :]).ravel()) * h
    t = np.concatenate([np.arange(N + 1) * h, tc])
    keep = np.unique(np.round(t, 12), return_index=True)[1]   # sorted, the ends once
    stack = lambda m, c: np.hstack([m, c])[:, keep].T           # noqa: E731
    return SimpleNamespace(
        time=t[keep], final_time=ref.tf, status="PredSim's solution",
        objective=ref.objective, iterations=0, mesh_refinement=None,
        state_names=list(model.state_names), states=stack(Xm, Xc),
        control_names=list(model.control_names), controls=stack(Um, Uc),
        algebraic_names=list(model.algebraic_names), algebraics=stack(Zm, Zc),
        multipliers_x=None, multipliers_g=None)
