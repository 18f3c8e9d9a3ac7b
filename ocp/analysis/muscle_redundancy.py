"""The muscle redundancy problem: which muscle activity produced a measured motion?

Given joint kinematics q(t), the net joint moments follow from inverse
dynamics. Many more muscles than joints can produce them; the redundancy
solver of De Groote et al. (2016) picks the excitations, activations (and
tendon forces) with the least integrated squared activation that satisfy

    sum_m r_m(q(t)) F_m(a_m, l_m(q(t)), v_m(q(t), q'(t))) + reserves = tau_ID(t)

at every collocation point, with activation (and tendon) dynamics as states.
Static optimisation, the classic baseline, solves the same moment equality
frame by frame with activations as free variables (no dynamics, rigid tendon).

Muscle-tendon lengths, lengthening speeds, moment arms and the inverse-
dynamics moments are computed once on the kinematics' samples and enter the
NLP as smooth B-spline interpolants of time, as in De Groote et al. (2016).
"""
from __future__ import annotations

from dataclasses import dataclass

import casadi as ca
import numpy as np
from scipy.interpolate import make_interp_spline

from ocp.analysis.reserves import actuator_report, report_warnings
from ocp.engine.reports import register_reporter
from ocp.models.base import Model
from ocp.models.multibody import KinematicTree, PointForce, inverse_dynamics
from ocp.models.muscle_driven import COMPLIANT, MuscleDrivenTree, reported_reserves
from ocp.models.muscles.activation import activation_rate
from ocp.models.muscles.hill import TENDON_FORCE_RATE_SCALE, compliant_tendon, rigid_tendon
from ocp.problem import PathConstraint, Problem


@dataclass
class Kinematics:
    """Joint angles on a time grid with their derivatives and inverse-dynamics moments.

    ``time`` (n_t,) s; ``q``, ``qd``, ``qdd``, ``moments`` (n_t, n_q) in rad,
    rad/s, rad/s^2 and N m; muscle ``lengths``, ``speeds`` (n_t, n_m) m, m/s,
    ``moment_arms`` (n_t, n_q, n_m) m.
    """

    time: np.ndarray
    q: np.ndarray
    qd: np.ndarray
    qdd: np.ndarray
    moments: np.ndarray
    lengths: np.ndarray
    speeds: np.ndarray
    moment_arms: np.ndarray
    #: how the NLP interpolates them in time: "bspline" (cubic) or "linear" (a fine grid)
    interpolation: str = "bspline"


def kinematics_from_samples(model: MuscleDrivenTree, time, q, spline_degree: int = 5,
                            loads=(), grid=None) -> Kinematics:
    """Differentiate sampled angles with an interpolating spline and run inverse dynamics.

    ``q`` (n_t, n_q) in the model's coordinate order. The quintic spline's
    second derivative is continuous, which inverse dynamics needs; measured
    (noisy) angles should be low-pass filtered first. ``loads``: measured
    external loads in the inverse dynamics (ocp.analysis.planar_loads.PlanarLoad
    on a planar tree, an ocp.data.external_loads.ExternalLoads on a 3D one);
    ``grid``: the times (within the samples') at which the spline, the moments
    and the muscle geometry are evaluated (default: the samples'), fine enough
    to be interpolated linearly (cubic B-splines cost the NLP's derivatives far
    more).
    """
    time = np.asarray(time, dtype=float)
    q = np.asarray(q, dtype=float).reshape(time.size, -1)
    if q.shape[1] != model.tree.n:
        raise ValueError(f"kinematics have {q.shape[1]} columns, model '{model.name}' has "
                         f"{model.tree.n} coordinates {list(model.tree.coordinates)}")
    spline = make_interp_spline(time, q, k=spline_degree)
    if grid is not None:
        time = np.asarray(grid, dtype=float)
        q = spline(time)
    qd, qdd = spline.derivative(1)(time), spline.derivative(2)(time)
    if isinstance(model.tree, KinematicTree):
        ID, stack, torque = _planar_inverse_dynamics(model.tree, loads, time)
    else:   # a 3D tree: the loads are an ExternalLoads (ocp.data.external_loads) or ()
        from ocp.analysis.id_tool import inverse_dynamics_function, load_arrays
        loads = loads or None
        ID = inverse_dynamics_function(model.tree, loads)
        *stack, torque = load_arrays(loads, time)
    moments = np.array(ID.map(time.size)(q.T, qd.T, qdd.T, stack[0].T, stack[1].T,
                                         torque.T)).T
    lengths, arms = model.geometry.map(time.size)(q.T)
    lengths = np.array(lengths).T                                  # (n_t, n_m)
    n_m = len(model.muscles)
    # map() puts the (n_q, n_m) blocks of successive samples side by side
    arms = np.array(arms).reshape(model.tree.n, n_m, time.size, order="F")
    arms = np.transpose(arms, (2, 0, 1))                           # (n_t, n_q, n_m)
    speeds = -np.einsum("tqm,tq->tm", arms, qd)
    return Kinematics(time, q, qd, qdd, moments, lengths, speeds, arms,
                      "bspline" if grid is None else "linear")


def _planar_inverse_dynamics(tree: KinematicTree, loads, time):
    """(ID (q, qd, qdd, F, P, M) -> moments, [F, P] (n_t, 2k), M (n_t, 2k)) of a planar
    tree under its PlanarLoads (ocp.analysis.planar_loads) at ``time``."""
    qs, qds, qdds = (ca.SX.sym(n, tree.n) for n in ("q", "qd", "qdd"))
    F, P, M = (ca.SX.sym(n, 2 * len(loads)) for n in ("F", "P", "M"))
    external = tuple(PointForce(ld.segment, P[2 * i:2 * i + 2], F[2 * i:2 * i + 2], M[2 * i])
                     for i, ld in enumerate(loads))
    ID = ca.Function("id", [qs, qds, qdds, F, P, M],
                     [inverse_dynamics(tree, qs, qds, qdds, external_forces=external)])
    samples = [ld.at(time) for ld in loads]
    stack = [np.hstack([s[k] for s in samples]) if loads else np.zeros((time.size, 0))
             for k in (0, 1)]
    torque = (np.column_stack([c for s in samples for c in (s[2], np.zeros(time.size))])
              if loads else np.zeros((time.size, 0)))
    return ID, stack, torque


def _interpolant(name, time, values, method="bspline"):
    """Cubic B-spline (or linear) of time through the samples (values (n_t, k)) -> (k, 1)."""
    values = np.asarray(values, dtype=float).reshape(time.size, -1)
    # CasADi wants the output index to run fastest
    return ca.interpolant(name, method, [time], values.ravel(order="C"))


class MuscleStates(Model):
    """Activation (and tendon force) dynamics of a model's muscles, skeleton prescribed.

    States: ``<m>_activation`` (+ ``<m>_tendon_force``); controls:
    ``<m>_excitation`` (+ ``<m>_tendon_force_rate``) and ``reserve_<coordinate>``.
    ``moments``: the prescribed motion's (time (n_t,), inverse-dynamics moments
    (n_t, n_q)) the muscles and reserves must produce, for the reserves' report.
    """

    def __init__(self, model: MuscleDrivenTree, moments: tuple | None = None):
        self.source, self.moments = model, moments
        self.name = f"{model.name}_muscle_states"
        muscles = [m.name for m in model.muscles]
        self.state_names = tuple(f"{m}_activation" for m in muscles)
        self.control_names = tuple(f"{m}_excitation" for m in muscles)
        if model.tendon == COMPLIANT:
            self.state_names += tuple(f"{m}_tendon_force" for m in muscles)
            self.control_names += tuple(f"{m}_tendon_force_rate" for m in muscles)
        self.control_names += tuple(f"reserve_{c}" for c in model.reserves)
        self.state_units = ("-",) * len(self.state_names)
        self.control_units = ("-",) * len(self.control_names)

    def arguments(self) -> dict:
        """The constructor's arguments (Model.replace)."""
        return {"model": self.source, "moments": self.moments}

    def split(self, x, u):
        m = len(self.source.muscles)
        compliant = self.source.tendon == COMPLIANT
        a, e = x[:m], u[:m]
        ft, dft = (x[m:2 * m], u[m:2 * m]) if compliant else (None, None)
        reserve = u[(2 * m if compliant else m):]
        return a, e, ft, dft, reserve

    def dynamics(self, x, u):
        a, e, ft, dft, _ = self.split(x, u)
        rates = [activation_rate(e[i], a[i], mu.parameters.activation_time_constant_s,
                                 mu.parameters.deactivation_time_constant_s,
                                 self.source.activation_smoothing)
                 for i, mu in enumerate(self.source.muscles)]
        if ft is not None:
            rates += [TENDON_FORCE_RATE_SCALE * dft[i] for i in range(len(self.source.muscles))]
        return ca.vertcat(*rates)

    def activations(self, x, u):
        return self.split(x, u)[0]

    def default_bounds(self):
        return {k: v for k, v in self.source.default_bounds().items() if k in self.units()}


def _muscle_forces(model: MuscleDrivenTree, a, length, speed, ft=None, dft=None):
    """Tendon forces (N) and compliant-tendon residuals of every muscle."""
    forces, residuals = [], []
    for i, m in enumerate(model.muscles):
        if model.tendon == COMPLIANT:
            s = compliant_tendon(m.parameters, a[i], length[i], speed[i], ft[i], dft[i],
                                 model.curves, model.passive_fiber_force)
            residuals.append(s.equilibrium_residual)
        else:
            s = rigid_tendon(m.parameters, a[i], length[i], speed[i], model.curves,
                             model.passive_fiber_force)
        forces.append(s.tendon_force_N)
    return ca.vertcat(*forces), residuals


def redundancy_problem(model: MuscleDrivenTree, kinematics: Kinematics, **problem_options
                       ) -> Problem:
    """The muscle redundancy problem as an ordinary Problem (costs still to add).

    Time runs over the kinematics' span; the moment equality (and the
    tendon equilibrium) are path constraints evaluated at each point's time.
    """
    reduced = MuscleStates(model, (kinematics.time, kinematics.moments))
    t = kinematics.time
    method = kinematics.interpolation
    n_q, n_m = model.tree.n, len(model.muscles)
    # lengths, speeds, moment arms (each sample's (n_q, n_m) matrix flattened
    # column-major, to match ca.reshape) and moments: one interpolant of time
    samples = np.hstack([kinematics.lengths, kinematics.speeds,
                         np.stack([a.ravel(order="F") for a in kinematics.moment_arms]),
                         kinematics.moments])
    interpolant = _interpolant("kinematics", t, samples, method)

    def data(times):
        """The interpolated samples at the NLP's points (numbers: the time is fixed,
        so the per-point functions and their compiled blocks hold no data)."""
        return np.array(interpolant.map(times.size)(times.reshape(1, -1)))

    coords = model.tree.coordinates

    def at(v, d):
        a, _, ft, dft, reserve = reduced.split(v.x, v.u)
        forces, residuals = _muscle_forces(model, a, d[:n_m], d[n_m:2 * n_m], ft, dft)
        arms = ca.reshape(d[2 * n_m:2 * n_m + n_q * n_m], n_q, n_m)
        moments = ca.mtimes(arms, forces)
        for k, (c, optimal) in enumerate(model.reserves.items()):
            moments[coords.index(c)] += optimal * reserve[k]
        return moments, residuals

    def moment_equality(v, d):
        moments, _ = at(v, d)
        return moments - d[2 * n_m + n_q * n_m:]

    problem = Problem(model=reduced, final_time=float(t[-1]), start_time=float(t[0]),
                      name=f"muscle redundancy of {model.name}", **problem_options)
    problem.subject_to(PathConstraint("joint_moments", moment_equality, 0.0, 0.0, data))
    if model.tendon == COMPLIANT:
        problem.subject_to(PathConstraint("tendon_equilibrium",
                                          lambda v, d: ca.vertcat(*at(v, d)[1]), 0.0, 0.0,
                                          data))
    return problem


def muscle_moments(model: MuscleDrivenTree, kinematics: Kinematics, time, activations,
                   tendon_forces=None, tendon_force_rates=None):
    """Joint moments (n_t, n_q) that given activations produce along the kinematics."""
    t = kinematics.time
    out = []
    for k, tk in enumerate(np.asarray(time)):
        length = np.array([np.interp(tk, t, kinematics.lengths[:, i])
                           for i in range(len(model.muscles))])
        speed = np.array([np.interp(tk, t, kinematics.speeds[:, i])
                          for i in range(len(model.muscles))])
        arms = np.array([[np.interp(tk, t, kinematics.moment_arms[:, j, i])
                          for i in range(len(model.muscles))] for j in range(model.tree.n)])
        ft = None if tendon_forces is None else tendon_forces[k]
        dft = None if tendon_force_rates is None else tendon_force_rates[k]
        forces, _ = _muscle_forces(model, activations[k], length, speed, ft, dft)
        out.append(arms @ np.array(ca.evalf(forces)).ravel())
    return np.array(out)


def static_optimization(model: MuscleDrivenTree, kinematics: Kinematics,
                        reserve_weight: float = 1e3, tolerance: float = 1e-10):
    """Frame-by-frame: min sum a^2 (+ weighted reserves^2) s.t. the moments, 0 <= a <= 1.

    Rigid tendon, no activation dynamics: the classic static optimisation
    (e.g. Anderson and Pandy 2001). All frames are independent, so they are
    solved together as one separable NLP. Returns (activations (n_t, n_m),
    reserves (n_t, n_r), max moment error N m).
    """
    t = kinematics.time
    n_t, n_m, n_r = t.size, len(model.muscles), len(model.reserves)
    A = ca.SX.sym("a", n_m, n_t)
    R = ca.SX.sym("r", n_r, n_t)
    l, s = ca.SX.sym("l", n_m), ca.SX.sym("s", n_m)
    a = ca.SX.sym("a1", n_m)
    rigid = ca.Function("forces", [a, l, s], [_rigid_forces(model, a, l, s)])
    forces = rigid.map(n_t)(A, kinematics.lengths.T, kinematics.speeds.T)
    g, coords = [], model.tree.coordinates
    for k in range(n_t):
        moments = ca.mtimes(ca.DM(kinematics.moment_arms[k]), forces[:, k])
        for j, (c, optimal) in enumerate(model.reserves.items()):
            moments[coords.index(c)] += optimal * R[j, k]
        g.append(moments - kinematics.moments[k])
    f = ca.sumsqr(A) + reserve_weight * ca.sumsqr(R)
    w = ca.vertcat(ca.vec(A), ca.vec(R))
    solver = ca.nlpsol("static_optimization", "ipopt", {"x": w, "f": f, "g": ca.vertcat(*g)},
                       {"print_time": False, "ipopt.print_level": 0, "ipopt.sb": "yes",
                        "ipopt.tol": tolerance})
    lbw = np.concatenate([np.zeros(n_m * n_t), -np.ones(n_r * n_t)])
    ubw = np.ones(w.shape[0])
    result = solver(x0=0.1 * ubw, lbx=lbw, ubx=ubw, lbg=0, ubg=0)
    values = np.array(result["x"]).ravel()
    activations = values[:n_m * n_t].reshape(n_t, n_m)
    reserves = values[n_m * n_t:].reshape(n_t, n_r)
    error = float(np.max(np.abs(np.array(result["g"])))) if g else 0.0
    return activations, reserves, error


def _rigid_forces(model, a, length, speed):
    return ca.vertcat(*[rigid_tendon(m.parameters, a[i], length[i], speed[i], model.curves,
                                     model.passive_fiber_force).tendon_force_N
                        for i, m in enumerate(model.muscles)])


def redundancy_reserve_reporter(problem, model, solution, context) -> dict:
    """Reporter (ocp.engine.reports): each reserve's and residual's RMS, peak and share
    of its coordinate's inverse-dynamics moment (ocp.analysis.reserves), with warnings
    for reserves that carry too much and residuals above OpenSim's thresholds."""
    if not isinstance(model, MuscleStates) or model.moments is None or not model.source.reserves:
        return {}
    times, moments = model.moments
    coords = list(model.source.tree.coordinates)
    t = np.asarray(solution.time, float)
    if t.size < 2 or t[-1] <= t[0]:
        return {}
    torques = {c: optimal * solution.control(f"reserve_{c}")
               for c, optimal in model.source.reserves.items()}
    report = actuator_report(t, torques, {c: np.interp(t, times, moments[:, coords.index(c)])
                                          for c in torques}, model.source.tree)
    messages = report_warnings(model.source.name, report, reported_reserves(model.source))
    return {"reserves": report, **({"warnings": messages} if messages else {})}


register_reporter(redundancy_reserve_reporter, order=26)
