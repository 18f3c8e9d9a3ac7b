"""Per-point derivative blocks compiled to machine code, cached on disk.

With ``[solver] graph = "lifted"`` the Jacobian and Hessian blocks of each
per-point function are small standalone SX functions that are evaluated but
never differentiated again, so they can be compiled: CasADi generates their C
code, the system C compiler builds a shared library, and ``casadi.external``
loads it. On Moco's 2D walker the per-point Hessian of the dynamics runs in
11 ms instead of 138 ms over 101 points (gcc -O1; the same numbers to the last
bit), at the price of compiling once (about 30 s for that function).

Libraries are kept in ``$OCP_CACHE_DIR/compiled`` (default
``~/.cache/ocp/compiled``), named by the SHA-256 of their C source and flags,
so the same model and problem structure compiles only once. A caller that
can name a function before building it (``keys``: a digest of everything the
function is made from) finds its library without building the function or
its C source. Without a C compiler the functions stay in CasADi's virtual
machine, with a warning.
"""
from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import casadi as ca

from ocp.engine.cache import cache_folder

#: Optimisation flag: -O1 builds the walker's Hessian block in about 30 s and
#: runs it 12x faster than the virtual machine (-O0: 12 s, 5.6x).
FLAGS = ("-O1", "-fPIC", "-shared")
#: Functions smaller than this (operations) are not worth a compiler call.
MIN_NODES = 2000
#: First build with these flags, -O1 in the background (above), from this many
#: operations: the muscle walk's dynamics blocks (0.09 M and 0.18 M).
TIERED_NODES = 60000
FIRST_FLAGS = ("-O0", "-fPIC", "-shared")


def compiler() -> str | None:
    return os.environ.get("CC") or shutil.which("gcc") or shutil.which("cc")


def compiled(function: ca.Function) -> ca.Function:
    """``function`` as compiled code (loaded from the cache, or built now).

    Returns ``function`` itself when it is small, or when no C compiler is
    found or compiling fails (with a warning saying why).
    """
    return compiled_all([function])[0]


def cached_library(name: str, key: str) -> ca.Function | None:
    """The compiled function ``name`` cached under ``key``, or None (its -O0 build
    while the -O1 one is not there yet: then that is built in the background)."""
    library = cache_folder("compiled") / f"{name}_{key[:32]}.so"
    if library.exists():
        return ca.external(name, str(library))
    first = _first_build(library)
    if first.exists():
        _build_in_background(library)
        return ca.external(name, str(first))
    return None


def _first_build(library: Path) -> Path:
    return library.with_name(library.stem + ".O0.so")


def _source(library: Path) -> Path:
    """Where a tiered block's C source waits for its background -O1 build."""
    return library.with_name("." + library.stem + ".c")


def _build_in_background(library: Path) -> None:
    """Start the -O1 build of ``library`` from its kept C source, unless one runs
    (its partial file is less than an hour old) or the source is gone."""
    source = _source(library)
    partial = library.with_name(f".{library.name}.background")
    cc = compiler()
    if cc is None or not source.exists() or (
            partial.exists() and time.time() - partial.stat().st_mtime < 3600):
        return
    partial.touch()
    command = (f"nice -n 10 {shlex.quote(cc)} {' '.join(FLAGS)} {shlex.quote(str(source))} "
               f"-o {shlex.quote(str(partial))} -lm && mv {shlex.quote(str(partial))} "
               f"{shlex.quote(str(library))} && rm -f {shlex.quote(str(source))} "
               f"{shlex.quote(str(_first_build(library)))} || rm -f {shlex.quote(str(partial))}")
    subprocess.Popen(["sh", "-c", command], stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL, start_new_session=True)


def compiled_all(functions: list, keys: list | None = None) -> list:
    """:func:`compiled` for several functions, the compilers running side by side.

    ``keys`` (one per function, or None): cache names to use instead of the
    digest of the generated C source (see :func:`cached_library`); keyed
    functions are compiled even when small.
    """
    out = list(functions)
    # keyed functions are compiled whatever their size: found by key, they
    # need not be built at all next time
    todo = [i for i, f in enumerate(functions) if keys is not None or f.n_nodes() >= MIN_NODES]
    if not todo:
        return out
    cc = compiler()
    if cc is None:
        warnings.warn("no C compiler (gcc, cc or $CC): the derivative blocks run in "
                      "CasADi's virtual machine", RuntimeWarning, stacklevel=2)
        return out
    folder = cache_folder("compiled")
    with tempfile.TemporaryDirectory() as tmp:
        jobs = []
        for i in todo:
            name = functions[i].name()
            gen = ca.CodeGenerator(f"{name}.c", {"with_header": False})
            gen.add(functions[i])
            gen.generate(tmp + os.sep)
            source = Path(tmp, f"{name}.c")
            key = keys[i] if keys is not None else hashlib.sha256(
                source.read_bytes() + " ".join(FLAGS).encode()).hexdigest()
            library = folder / f"{name}_{key[:32]}.so"
            found = cached_library(name, key)
            if found is not None:
                out[i] = found
                continue
            folder.mkdir(parents=True, exist_ok=True)
            flags = FLAGS
            if functions[i].n_nodes() >= TIERED_NODES:  # -O0 now, -O1 in the background
                flags = FIRST_FLAGS
                shutil.copyfile(source, _source(library))
                library = _first_build(library)
            partial = folder / f".{library.name}.{os.getpid()}"
            process = subprocess.Popen([cc, *flags, str(source), "-o", str(partial), "-lm"],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                       text=True)
            jobs.append((i, name, library, partial, process))
        for i, name, library, partial, process in jobs:
            _, err = process.communicate()
            if process.returncode != 0:
                warnings.warn(f"compiling '{name}' failed ({cc}: {err.strip()[:200]}); it "
                              f"runs in CasADi's virtual machine", RuntimeWarning, stacklevel=2)
                partial.unlink(missing_ok=True)
                continue
            os.replace(partial, library)  # atomic: a parallel run sees all or nothing
            out[i] = ca.external(name, str(library))
            if library.name.endswith(".O0.so"):
                _build_in_background(library.with_name(library.name[:-len(".O0.so")] + ".so"))
    return out


#: Blocks of at least TIERED_NODES operations missing from the cache: False,
#: compile them now (-O0, then -O1 in the background: :func:`compiled_all`);
#: True, start the solve at once with them interpreted while a background
#: process compiles them with FLAGS (:func:`compiling_all`). Measured by
#: benchmarks/bench_first_run.py.
START_UNCOMPILED = True
#: Python references to the switching functions in use: a CasADi callback must
#: outlive every function built on it.
LIVE: list = []


class Switching(ca.Callback):
    """A per-point block mapped over ``n`` points, evaluated in CasADi's virtual
    machine until its library (compiled in the background) appears, -O0 first
    and then -O1, then from that library: the same numbers to rounding,
    ``evaluations`` of them interpreted, ``first_build_evaluations`` at -O0."""

    def __init__(self, function: ca.Function, library: Path, n: int, parallel: tuple):
        ca.Callback.__init__(self)
        self.block, self.library, self.n, self.parallel = function.name(), library, n, parallel
        self.interpreted = self.current = function.map(n, *parallel)
        self.evaluations = 0              # in the virtual machine
        self.first_build_evaluations = 0  # from the -O0 library
        self.loaded = None
        self.switched = False             # to the -O1 library
        self.construct(f"{self.block}_map_switching", {})

    def get_n_in(self):
        return self.current.n_in()

    def get_n_out(self):
        return self.current.n_out()

    def get_sparsity_in(self, i):
        return self.current.sparsity_in(i)

    def get_sparsity_out(self, i):
        return self.current.sparsity_out(i)

    def has_jac_sparsity(self, oind, iind):
        return True

    def get_jac_sparsity(self, oind, iind, symmetric):
        # the function's own: CasADi's default for a callback is dense, gigabytes
        # of pattern wherever the graph asks what depends on what
        return self.interpreted.jac_sparsity(oind, iind)

    def eval(self, args):
        if not self.switched:
            for library in (self.library, _first_build(self.library)):
                if library != self.loaded and library.exists():
                    self.current = ca.external(self.block, str(library)).map(self.n,
                                                                             *self.parallel)
                    self.loaded = library
                    break
            self.switched = self.loaded == self.library
            self.evaluations += self.loaded is None
            self.first_build_evaluations += self.loaded is not None and not self.switched
        return self.current.call(args)


def compiling_all(functions: list, keys: list) -> list:
    """Each function's library path as it will be in the cache, the compiler
    running in one detached background process: every block at -O0 (its
    ``.O0.so``, 3x faster to compile than -O1), then every block at -O1,
    smallest source first, so that the solve leaves the virtual machine
    early; the process goes on after this one ends, for the next solve. A
    block whose source another solve left less than an hour ago is being
    compiled by that solve's process: not compiled twice.
    [] when there is no C compiler (with a warning)."""
    cc = compiler()
    if cc is None:
        warnings.warn("no C compiler (gcc, cc or $CC): the derivative blocks run in "
                      "CasADi's virtual machine", RuntimeWarning, stacklevel=2)
        return []
    folder = cache_folder("compiled")
    folder.mkdir(parents=True, exist_ok=True)
    jobs, libraries = [], []
    for function, key in zip(functions, keys):
        name = function.name()
        library = folder / f"{name}_{key[:32]}.so"
        libraries.append(library)
        source = _source(library)
        if source.exists() and time.time() - source.stat().st_mtime < 3600:
            continue  # another solve's background build has it in hand
        with tempfile.TemporaryDirectory() as tmp:
            gen = ca.CodeGenerator(f"{name}.c", {"with_header": False})
            gen.add(function)
            gen.generate(tmp + os.sep)
            shutil.move(Path(tmp, f"{name}.c"), source)
        q = shlex.quote
        lib, src, first = q(str(library)), q(str(source)), q(str(_first_build(library)))
        first_partial = f"{q(str(_first_build(library)) + '.')}$$.partial"  # $$: the shell's pid
        background = q(str(library.with_name(f".{library.name}.background")))
        jobs.append((source.stat().st_size,
                     f"{{ [ -e {lib} ] || [ -e {first} ] || {{ {q(cc)} {' '.join(FIRST_FLAGS)} "
                     f"{src} -o {first_partial} -lm && mv {first_partial} {first}; }}; "
                     f"rm -f {first_partial}; }}",
                     f"{{ [ -e {lib} ] || {{ touch {background} && {q(cc)} {' '.join(FLAGS)} "
                     f"{src} -o {background} -lm && mv {background} {lib}; }}; "
                     f"rm -f {src} {background} {first}; }}"))
    size = sum(j[0] for j in jobs)
    if jobs:  # every block at -O0 first (a few seconds each), then at -O1
        jobs.sort()
        subprocess.Popen(["sh", "-c", "; ".join([j[1] for j in jobs] + [j[2] for j in jobs])],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    warnings.warn(f"compiling {len(libraries)} derivative blocks ({size / 1e6:.1f} MB of C) in "
                  f"the background: this solve starts with them in CasADi's virtual machine "
                  f"and switches to each as it is compiled (-O0 first, then -O1); later "
                  f"solves load them from {folder}", RuntimeWarning, stacklevel=2)
    return libraries


def switching(function: ca.Function, library: Path, n: int, parallel: tuple) -> ca.Function:
    """``function.map(n, *parallel)``, moving to ``library`` once it exists (:class:`Switching`)."""
    callback = Switching(function, library, n, parallel)
    LIVE.append(callback)
    return callback
