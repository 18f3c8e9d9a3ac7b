"""Exact NLP derivatives assembled from per-point derivative blocks.

A transcribed problem is a small *glue* (collocation defects, quadrature,
boundary rows: a few operations per point) around large *per-point*
functions (the equations of motion of a musculoskeletal model: thousands of
operations each) evaluated at every mesh point. CasADi can differentiate the
whole graph in two ways, each with a cost:

- the scalar (SX) graph: one symbolic Hessian of the whole NLP. Evaluation is
  fast, but building it differentiates every copy of the dynamics (minutes
  for Moco's 2D walker);
- the matrix (MX) graph: built in seconds, but each Jacobian and Hessian is
  evaluated by dozens of directional sweeps through the mapped dynamics.

Here the per-point functions are lifted out: the glue sees their outputs as
symbols ``Y``, and the chain rule puts the pieces back together (with
``A`` the constant selection of each point's inputs from ``w``, ``J`` and
``H(mu)`` the per-point Jacobian and Hessian of ``mu . y``, block-diagonal
over the points, ``B = J A``)::

    jac g      = g_w + g_Y B
    hess L     = L_ww + L_wY B + (L_wY B)^T + B^T L_YY B + A^T H(L_Y) A

The per-point blocks are SX functions differentiated once, symbolically, for
one point and mapped; the glue is differentiated as MX. Both are exact: no
finite differences, the same numbers as CasADi's own derivatives of the
whole graph (checked in tests/test_lifted_derivatives.py).
"""
from __future__ import annotations

import hashlib
import inspect
import re
from dataclasses import dataclass
from pathlib import Path

import casadi as ca
import numpy as np


@dataclass
class _Call:
    function: ca.Function   # per point: (arg_0, arg_1, ...) -> (out_0, ...)
    n: int                  # points
    args: list              # MX, each (rows, n) or (rows, 1): the same for every point
    outputs: list           # [Y]: one MX symbol for the stacked outputs, (rows, n)
    parallel: tuple
    #: the inputs (indices into one point's stacked inputs) that vary with w: the
    #: blocks differentiate in these only (a fixed final time leaves t constant)
    active: tuple | None = None


class PointCalls:
    """Calls of per-point functions over a mesh: inline, or lifted for :func:`lifted_nlp`.

    ``calls(f, n, *args)`` returns what ``f.map(n)(*args)`` returns (one
    matrix, or a tuple for several outputs). With ``lift=True`` those are
    symbols, and the call is recorded.
    """

    def __init__(self, lift: bool):
        self.lift = lift
        self.calls: list[_Call] = []

    def __call__(self, function: ca.Function, n: int, *args, parallel=()):
        if not self.lift:
            return function.map(n, *parallel)(*args)
        for k in range(function.n_out()):
            if function.size2_out(k) != 1:
                raise ValueError(f"'{function.name()}': per-point outputs must be columns")
        rows = [function.size1_out(k) for k in range(function.n_out())]
        # one symbol per call, each column one point's outputs stacked, so that
        # vec(Y) runs point by point like the per-point blocks
        Y = ca.MX.sym(f"{function.name()}_{len(self.calls)}", sum(rows), n)
        self.calls.append(_Call(function, n, [ca.MX(a) for a in args], [Y], parallel))
        outputs = [Y[int(sum(rows[:k])):int(sum(rows[:k + 1])), :] for k in range(len(rows))]
        return outputs[0] if len(outputs) == 1 else tuple(outputs)

    @property
    def symbols(self) -> ca.MX:
        """Every lifted output, stacked: ``Y``."""
        return ca.vertcat(*[ca.vec(o) for c in self.calls for o in c.outputs]) \
            if self.calls else ca.MX(0, 1)

    def values(self, *needed) -> ca.MX:
        """What ``Y`` stands for: the mapped calls themselves, stacked like :attr:`symbols`.

        Calls whose outputs none of the ``needed`` expressions depends on are
        not evaluated: zeros stand in for them (the objective of a walk needs
        the effort integrand, not the equations of motion).
        """
        parts = []
        used = self._used(needed)
        for c, is_used in zip(self.calls, used):
            if not is_used:
                parts.append(ca.MX.zeros(c.outputs[0].numel(), 1))
                continue
            out = c.function.map(c.n, *c.parallel)(*c.args)
            out = [out] if c.function.n_out() == 1 else list(out)
            parts.append(ca.vec(ca.vertcat(*out)))
        return ca.vertcat(*parts) if parts else ca.MX(0, 1)

    def _used(self, needed) -> list:
        """Whether any of the ``needed`` expressions depends on each call's outputs (all
        True if none is given): one dependency sweep per expression over all the
        lifted symbols, the same structural dependency as ``ca.depends_on`` per call
        (which swept the whole expression once per call: 8 s of CPU of the Falisse
        model's 14 s transcription)."""
        sizes = [c.outputs[0].numel() for c in self.calls]
        if not needed:
            return [True] * len(sizes)
        hit = np.zeros(sum(sizes), bool)
        for e in needed:
            if e.nnz():
                hit |= np.array(ca.which_depends(e, self.symbols, 1, False), bool)
        ends = np.cumsum(sizes)
        return [bool(hit[end - size:end].any()) for size, end in zip(sizes, ends)]

    def substitute(self, w: ca.MX, expressions: list, p: ca.MX | None = None) -> list:
        """The expressions with every lifted symbol replaced by its call (``p``: the
        NLP's parameters, if the expressions depend on them)."""
        if not self.calls:
            return list(expressions)
        extra = [] if p is None else [p]
        out = []
        for expr in expressions:  # one at a time: each evaluates only the calls it uses
            out.append(ca.Function("glue", [w, self.symbols, *extra], [expr])(
                w, self.values(expr), *extra))
        return out


def _point_function(call: _Call):
    """One point's inputs and outputs, each stacked into one SX vector: (v, y)."""
    f = call.function
    v_parts = [ca.SX.sym(f"v{k}", f.numel_in(k)) for k in range(f.n_in())]
    out = f(*[ca.reshape(v_parts[k], f.size1_in(k), f.size2_in(k)) for k in range(f.n_in())])
    out = [out] if f.n_out() == 1 else list(out)
    v = ca.vertcat(*v_parts)
    # common subexpressions merged before and after differentiating: 16 % fewer
    # operations in the walker's derivative blocks
    y = ca.cse(ca.vertcat(*[ca.vec(ca.densify(o)) for o in out]))
    return v, y


def _block_key(function: ca.Function, active=None) -> str:
    """Cache name of a per-point function's derivative blocks: the digest of the
    function itself, of the inputs they differentiate in (``active``, None: all)
    and of the code that differentiates and compiles it (only that code: editing
    how the blocks are assembled keeps the compiled ones)."""
    from ocp.engine import compiled
    digest = hashlib.sha256(function.serialize().encode())
    digest.update(repr(None if active is None else list(active)).encode())
    digest.update(_BLOCK_CODE.encode())
    digest.update(Path(compiled.__file__).read_bytes())
    digest.update(f"{ca.__version__} {' '.join(compiled.FLAGS)}".encode())
    return digest.hexdigest()


def _derivative_blocks(call: _Call, name: str, with_vjp: bool) -> list:
    """A call's per-point blocks as SX functions of all its inputs v: ``jac_``
    (dy/dv), ``hess_`` (the Hessian of mu . y in v) and, if asked, ``vjp_``
    (mu^T dy/dv), in the inputs ``call.active`` only (the others are constant)."""
    v, y = _point_function(call)
    d = v if call.active is None else ca.vertcat(*[v[i] for i in call.active])
    mu = ca.SX.sym("mu", y.shape[0])
    built = [ca.Function(f"jac_{name}", [v], [ca.cse(ca.jacobian(y, d))]),
             ca.Function(f"hess_{name}", [v, mu], [ca.cse(ca.hessian(ca.dot(mu, y), d)[0])])]
    if with_vjp:
        built.append(ca.Function(f"vjp_{name}", [v, mu], [ca.jtimes(y, d, mu, True)]))
    return built


#: The code the blocks are made by, read once at import, for :func:`_block_key`.
_BLOCK_CODE = inspect.getsource(_point_function) + inspect.getsource(_derivative_blocks)


def _stacked_inputs(call: _Call) -> ca.MX:
    """(nv, n): each point's inputs as one column (constant arguments repeated)."""
    cols = []
    for a in call.args:
        a = ca.densify(a)
        cols.append(ca.repmat(a, 1, call.n) if a.shape[1] == 1 and call.n > 1 else a)
    return ca.vertcat(*cols)


def _block_diagonal(blocks: ca.MX, width: int, n: int) -> ca.MX:
    """The n blocks of a horizontal stack (rows, n * width), on a block diagonal."""
    if n == 1:
        return blocks
    return ca.diagcat(*ca.horzsplit(blocks, width))


def lifted_nlp(calls: PointCalls, w: ca.MX, f: ca.MX, g: ca.MX,
               compile_blocks: bool = False, p: ca.MX | None = None) -> tuple[dict, dict]:
    """The NLP ``{x, f, g}`` in ``w`` alone, and nlpsol's ``jac_g`` and ``hess_lag``.

    ``f`` (scalar) and ``g`` are MX expressions of ``w`` and of the lifted
    symbols of ``calls``; every call's arguments must be linear in ``w`` (they
    select states, controls, times and parameters), which is checked.
    Returns ``(nlp, options)``; pass ``options`` to ``casadi.nlpsol``.
    ``compile_blocks`` builds the per-point derivative blocks as machine code
    (ocp/engine/compiled.py). ``p``: the NLP's parameters (the cost weights
    of ocp/engine/reuse.py), which ``f`` may depend on; ``g`` does not.
    """
    f_w, g_w = calls.substitute(w, [f, g], p)
    nlp = {"x": w, "f": f_w, "g": g_w}
    if p is not None:
        nlp["p"] = p
    extra = [] if p is None else [p]
    if not calls.calls:
        return nlp, {}
    Y = calls.symbols
    nw, ng = w.shape[0], g.shape[0]

    # The glue's Lagrangian and its derivatives in w and in the lifted outputs Y.
    sigma, lam = ca.MX.sym("lam_f"), ca.MX.sym("lam_g", ng)
    L = sigma * f + ca.dot(lam, g)
    mu_all = ca.gradient(L, Y)
    L_w = ca.gradient(L, w)
    L_wY = ca.jacobian(L_w, Y)
    L_YY = ca.jacobian(mu_all, Y)
    # L_wY has nonzeros only in the rows of a few global unknowns (the final
    # time scales every defect, the displacement divides a cost): each such row
    # times B is one vector-Jacobian product per point, far cheaper than B.
    coupled_rows = sorted(set(L_wY.sparsity().get_triplet()[0]))
    full_B_in_hessian = bool(L_YY.nnz()) or len(coupled_rows) > 16
    # First the per-point blocks of every call (SX, differentiated once for one
    # point), compiled side by side if asked; then their assembly over the mesh.
    with_vjp = bool(coupled_rows) and not full_B_in_hessian
    blocks, layout, to_compile = [], [], []
    for c in calls.calls:
        V = _stacked_inputs(c)
        if ca.depends_on(V, Y):
            raise ValueError(f"inputs of '{c.function.name()}' depend on a lifted output")
        dv_dw = ca.jacobian(ca.vec(V), w)
        if ca.depends_on(dv_dw, w):
            raise ValueError(f"inputs of '{c.function.name()}' are not linear in w")
        A = ca.DM(ca.Function("A", [w], [dv_dw])(np.zeros(nw)))  # constant: any w will do
        name = re.sub(r"\W", "_", c.function.name())
        kinds = ["jac", "hess"] + (["vjp"] if with_vjp else [])
        f = c.function
        nv = sum(f.numel_in(k) for k in range(f.n_in()))
        ny = sum(f.numel_out(k) for k in range(f.n_out()))
        # the inputs no point's w reaches (the time when the final time is fixed):
        # the blocks leave them out, and A their rows
        varying = np.unique(np.array(A.sparsity().get_triplet()[0], dtype=int) % nv)
        if 0 < varying.size < nv:
            c.active = tuple(int(i) for i in varying)
            A = A[[k * nv + i for k in range(c.n) for i in c.active], :]
            nv = varying.size
        layout.append((c, V, A, nv, ny))
        if compile_blocks:  # compiled before: no need to build the blocks at all
            from ocp.engine.compiled import cached_library
            key = _block_key(f, c.active)
            found = [cached_library(f"{kind}_{name}", key) for kind in kinds]
            if all(b is not None for b in found):
                blocks += found
                continue
        built = _derivative_blocks(c, name, with_vjp)
        if compile_blocks:
            to_compile += [(len(blocks) + j, key) for j in range(len(built))]
        blocks += built
    pending = {}  # block index -> its library, being compiled in the background
    if to_compile:
        from ocp.engine import compiled
        if compiled.START_UNCOMPILED:
            large = [(i, k) for i, k in to_compile
                     if blocks[i].n_nodes() >= compiled.TIERED_NODES]
            to_compile = [(i, k) for i, k in to_compile if (i, k) not in large]
            if large:
                libraries = compiled.compiling_all([blocks[i] for i, _ in large],
                                                   [k for _, k in large])
                pending = {i: lib for (i, _), lib in zip(large, libraries)}
        done = compiled.compiled_all([blocks[i] for i, _ in to_compile],
                                     [k for _, k in to_compile]) if to_compile else []
        for (i, _), block in zip(to_compile, done):
            blocks[i] = block

    def mapped(k: int, c: _Call) -> ca.Function:
        if k in pending:
            from ocp.engine.compiled import switching
            return switching(blocks[k], pending[k], c.n, c.parallel)
        return blocks[k].map(c.n, *c.parallel)

    B_jac, B_hess, H_terms, cross_rows = [], [], [], []
    offset, k = 0, 0
    for c, V, A, nv, ny in layout:
        jac_map, hess_map = mapped(k, c), mapped(k + 1, c)
        vjp_map = mapped(k + 2, c) if with_vjp else None
        k += 3 if with_vjp else 2
        J_c = _block_diagonal(jac_map(V), nv, c.n)
        B_jac.append(ca.mtimes(J_c, A))
        if full_B_in_hessian:
            B_hess.append(ca.mtimes(J_c, A))
        rows = slice(offset, offset + ny * c.n)
        mu_c = ca.reshape(mu_all[rows], ny, c.n)
        H_c = hess_map(V, mu_c)
        H_terms.append(ca.mtimes(A.T, ca.mtimes(_block_diagonal(H_c, nv, c.n), A)))
        if with_vjp:
            cross_rows.append(ca.vertcat(*[
                ca.mtimes(ca.vec(vjp_map(V, ca.reshape(L_wY[r, rows].T, ny, c.n))).T, A)
                for r in coupled_rows]))
        offset += ny * c.n

    jac_g = ca.jacobian(g, w) + ca.mtimes(ca.jacobian(g, Y), ca.vertcat(*B_jac))
    H = ca.jacobian(L_w, w)
    if full_B_in_hessian:
        B = ca.vertcat(*B_hess)
        cross = ca.mtimes(L_wY, B)
        if L_YY.nnz():
            H = H + ca.mtimes(B.T, ca.mtimes(L_YY, B))
    elif coupled_rows:
        E = ca.DM(ca.Sparsity.triplet(nw, len(coupled_rows), coupled_rows,
                                      list(range(len(coupled_rows)))), 1.0)
        cross = ca.mtimes(E, sum(cross_rows[1:], cross_rows[0]))
    if coupled_rows:
        H = H + cross + cross.T
    for term in H_terms:
        H = H + term
    H = ca.triu(H)

    p = ca.MX.sym("p", 0) if p is None else p
    # g and its Jacobian in one function (nlpsol asks for both); a glue linear
    # in Y (defects, quadrature) leaves no Y in the Hessian, so the per-point
    # functions themselves are not evaluated for it
    # (each asked on its own: stacking vec(jac_g), a column of nw * ng rows,
    # took 28 s for the Falisse model at 50 intervals)
    g_s, jac_s = (ca.Function("glue_jac", [w, Y], [g, jac_g])(w, calls.values(g, jac_g)))
    H_s = ca.Function("glue_hess", [w, Y, sigma, lam, *extra], [H])(
        w, calls.values(H), sigma, lam, *extra)
    options = {
        "jac_g": ca.Function("lifted_jac_g", [w, p], [g_s, jac_s], ["x", "p"], ["g", "jac_g_x"]),
        "hess_lag": ca.Function("lifted_hess_lag", [w, p, sigma, lam], [H_s],
                                ["x", "p", "lam_f", "lam_g"], ["triu_hess_gamma_x_x"]),
    }
    return nlp, options
