#!/usr/bin/env python3
"""The Python peer of `npm run bench:speed`: the VSML learning step in JAX (jit) or numpy.

What a researcher with a CPU box would write instead of our WebGPU kernels: the same learner as
src/inner/reference.ts (the float64 reference) and src/bench/speed/tfjs-vsml.ts (the TensorFlow.js
peer), in float32, vectorised over learners as batched matrix products, with the two exact
rewrites the cost model counts (src/spec/cost-model.ts): the gate pre-activation W z is split
into W_f fwd_a + W_b bwd_b (once per step, shared by every tick) + W_h h (per cell and tick), and
the heads run once per unit on the mean of h.

Backend: JAX with jit when `import jax` works, numpy otherwise (or --backend). Learners are
independent, so the numpy backend steps groups of members on a thread pool (numpy releases the
GIL inside its loops; BLAS is then held to one thread per worker, the gemms here being tiny).

It reads everything from the directory given with --dir, written by src/bench/speed/python-peer.ts,
which defines the format (input.json naming raw little-endian arrays; the layout of the
meta-parameters and the gate offsets come from there too, nothing is redefined here), and writes
output.json (backend, timings) and the arrays it names into the same directory. `--probe` prints
the backend it would use, as one JSON line. Nothing is downloaded or installed.
"""

import argparse
import json
import os
import sys
import time

INPUT_FORMAT = "vsml-peer-input/1"
OUTPUT_FORMAT = "vsml-peer-output/1"
DTYPES = {"float32": 4, "int32": 4, "uint8": 1, "int8": 1}
ROWS_PER_GROUP = 4096


class PeerInputError(Exception):
    """Bad or inconsistent input directory: the message names the file and what is wrong."""


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dir", help="directory holding input.json (outputs are written there)")
    p.add_argument("--probe", action="store_true", help="print the backend as JSON and exit")
    p.add_argument("--backend", choices=["auto", "jax", "numpy"], default="auto")
    p.add_argument(
        "--numpy-mode",
        choices=["inplace", "pure"],
        default="inplace",
        help="numpy: update the cells in reused arrays (default), or run the pure code JAX traces",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=0,
        help="numpy worker threads (default: the CPUs this process may use)",
    )
    a = p.parse_args(argv)
    if not a.probe and not a.dir:
        p.error("give --dir DIR (or --probe)")
    return a


def load_backend(choice, threads):
    """(name, xp, jax module or None, description); numpy's BLAS limited before numpy loads."""
    jax = None
    if choice in ("auto", "jax"):
        try:
            import jax  # noqa: F401 (optional)
            import jax.numpy as jnp
        except ImportError as e:
            if choice == "jax":
                raise PeerInputError(f"--backend jax: jax is not importable ({e})")
            jax = None
    if jax is not None:
        desc = f"jax {jax.__version__} jit on {jax.default_backend()}"
        return "jax", jnp, jax, desc
    if threads > 1:
        # One BLAS thread per worker: the workers already fill the cores.
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(var, "1")
    import numpy as np

    blas = "its BLAS"
    try:
        cfg = np.show_config(mode="dicts")
        b = cfg["Build Dependencies"]["blas"]
        blas = f"{b.get('name', 'BLAS')} {b.get('version', '')}".strip()
    except Exception:  # older numpy: no dict form; the name stays generic
        pass
    desc = f"numpy {np.__version__} + {blas}, {threads} thread{'s' if threads != 1 else ''}"
    return "numpy", np, None, desc


def cpu_count():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


# ---------------------------------------------------------------------------------------------
# Input


def read_input(d, np):
    path = os.path.join(d, "input.json")
    try:
        with open(path) as f:
            spec = json.load(f)
    except FileNotFoundError:
        raise PeerInputError(f"{path} does not exist")
    except json.JSONDecodeError as e:
        raise PeerInputError(f"{path} is not JSON: {e}")
    if spec.get("format") != INPUT_FORMAT:
        raise PeerInputError(f"{path}: format {spec.get('format')!r}, expected {INPUT_FORMAT!r}")
    arrays = {}
    for name, a in spec["arrays"].items():
        if a["dtype"] not in DTYPES:
            raise PeerInputError(f"{path}: array {name} has unknown dtype {a['dtype']!r}")
        file = os.path.join(d, a["file"])
        want = DTYPES[a["dtype"]]
        for n in a["shape"]:
            want *= n
        try:
            got = os.path.getsize(file)
        except OSError:
            raise PeerInputError(f"{file} (array {name}) does not exist")
        if got != want:
            raise PeerInputError(
                f"{file} (array {name}): {got} bytes, expected {want} for {a['dtype']} {a['shape']}"
            )
        arrays[name] = np.fromfile(file, dtype=a["dtype"]).reshape(a["shape"])
    return spec, arrays


def write_output(d, out, arrays, np):
    spec = {"format": OUTPUT_FORMAT, **out, "arrays": {}}
    for name, x in arrays.items():
        x = np.ascontiguousarray(np.asarray(x, dtype=np.float32))
        file = f"out-{name}.f32"
        x.tofile(os.path.join(d, file))
        spec["arrays"][name] = {"file": file, "dtype": "float32", "shape": list(x.shape)}
    tmp = os.path.join(d, "output.json.tmp")
    with open(tmp, "w") as f:
        json.dump(spec, f)
    os.replace(tmp, os.path.join(d, "output.json"))


# ---------------------------------------------------------------------------------------------
# The learner


def member_params(spec, params, np):
    """Per member, the blocks the step multiplies by, oriented for the cells-last layout."""
    cfg = spec["config"]
    H, M = cfg["hidden"], cfg["message"]
    P = params.shape[0]
    seg = spec["segments"]

    def block(name):
        s = seg[name]
        return params[:, s["offset"] : s["offset"] + s["rows"] * s["cols"]].reshape(P, s["rows"], s["cols"])

    lowrank = cfg["cell"]["kind"] == "lstm-lowrank"
    gate = block("lstm.V" if lowrank else "lstm.W")  # [P, R, 2M + H]
    c = np.ascontiguousarray
    t = lambda x: c(np.transpose(x, (0, 2, 1)))  # noqa: E731
    return {
        "wf": t(gate[:, :, :M]),  # [P, M, R]: messages stay unit-major, [units, M] @ [M, R]
        "wb": t(gate[:, :, M : 2 * M]),
        "wh": c(gate[:, :, 2 * M :]),  # [P, R, H]: [R, H] @ h [H, cells]
        "u": c(block("lstm.U")) if lowrank else None,  # [P, 4H, r]
        "bias": block("lstm.b").reshape(P, 4 * H, 1),
        "hf": t(block("head.fwd.W")),  # [P, H, M]
        "hfb": block("head.fwd.b").reshape(P, 1, M),
        "hb": t(block("head.bwd.W")),
        "hbb": block("head.bwd.b").reshape(P, 1, M),
    }


class Workspace:
    """Arrays reused from step to step, by name (numpy's in-place path; one per member group).

    A fresh array per operation costs page faults and cache misses: into a reused array a
    41,000 x 32 float32 product took about half the time here (docs/perf.md, Python peer).
    """

    def __init__(self, np):
        self.np = np
        self.arrays = {}

    def get(self, name, shape):
        a = self.arrays.get(name)
        if a is None or a.shape != tuple(shape):
            a = self.arrays[name] = self.np.empty(shape, self.np.float32)
        return a


def make_step(xp, cfg, T, offsets, learn):
    """step(state, wp, x, label, ws) -> (state, ce, correct) for a group of p members x T tasks.

    state = (h, c, bwd): per layer h, c [p, H, T*A*B] (cells last, so that each gate is one
    contiguous block of the pre-activations [p, 4H, cells]) and the incoming backward message
    [p, T*B, M]; x [p*T, A0] the first layer's input; label [p*T]. With ws None it is pure (no
    in-place writes), so JAX can trace it; with a Workspace (numpy only) the cell update runs in
    place, the same operations in the same order.
    """
    layers = cfg["layers"]
    K = len(layers) - 1
    H, M, ticks = cfg["hidden"], cfg["message"], cfg["ticks"]
    C = layers[-1]
    comp, bound = cfg["readout"]["component"], cfg["readout"]["bound"]
    io, fo = offsets["input"], offsets["forget"]
    label_feeding = cfg["labelFeeding"]
    sig = lambda v: 0.5 * xp.tanh(0.5 * v) + 0.5  # noqa: E731 (= 1 / (1 + exp(-v)))

    def ticks_pure(h, c, ab, wp):
        for _ in range(ticks):
            v = xp.matmul(wp["wh"], h) + ab
            pre = v if wp["u"] is None else xp.matmul(wp["u"], v) + wp["bias"]
            ig = sig(pre[:, :H] + io)
            fg = sig(pre[:, H : 2 * H] + fo)
            g = xp.tanh(pre[:, 2 * H : 3 * H])
            og = sig(pre[:, 3 * H :])
            c = fg * c + ig * g
            h = og * xp.tanh(c)
        return h, c

    def sig_(v, offset):
        # In place: v = sig(v + offset), as sig() computes it.
        if offset:
            v += offset
        v *= 0.5
        xp.tanh(v, out=v)
        v *= 0.5
        v += 0.5

    def ticks_inplace(h, c, ab, wp, ws, k):
        if not learn:  # queries leave the state as it is
            hq, cq = ws.get(f"hq{k}", h.shape), ws.get(f"cq{k}", c.shape)
            hq[...], cq[...] = h, c
            h, c = hq, cq
        p, _, N = h.shape
        R = wp["wh"].shape[1]
        v = ws.get(f"v{k}", (p, R, N))
        pre = v if wp["u"] is None else ws.get(f"pre{k}", (p, 4 * H, N))
        t = ws.get(f"t{k}", h.shape)
        for _ in range(ticks):
            xp.matmul(wp["wh"], h, out=v)
            v += ab
            if wp["u"] is not None:
                xp.matmul(wp["u"], v, out=pre)
                pre += wp["bias"]
            ig, fg, g, og = pre[:, :H], pre[:, H : 2 * H], pre[:, 2 * H : 3 * H], pre[:, 3 * H :]
            sig_(ig, io)
            sig_(fg, fo)
            xp.tanh(g, out=g)
            sig_(og, 0)
            c *= fg
            xp.multiply(ig, g, out=t)
            c += t
            xp.tanh(c, out=h)
            h *= og
        return h, c

    def layer(h, c, fwd, bwd, wp, A, B, ws, k):
        p = h.shape[0]
        R = wp["wh"].shape[1]
        # Message terms, once per unit: [p, R, T, A, 1] + [p, R, T, 1, B] -> every cell's.
        fa = xp.matmul(fwd, wp["wf"]).reshape(p, T, A, R).transpose(0, 3, 1, 2)[:, :, :, :, None]
        bb = xp.matmul(bwd, wp["wb"]).reshape(p, T, B, R).transpose(0, 3, 1, 2)[:, :, :, None, :]
        if ws is None:
            ab = (fa + bb).reshape(p, R, T * A * B)
            if wp["u"] is None:
                ab = ab + wp["bias"]
            h, c = ticks_pure(h, c, ab, wp)
        else:
            ab5 = ws.get(f"ab{k}", (p, R, T, A, B))
            xp.add(fa, bb, out=ab5)
            ab = ab5.reshape(p, R, T * A * B)
            if wp["u"] is None:
                ab += wp["bias"]
            h, c = ticks_inplace(h, c, ab, wp, ws, k)
        h5 = h.reshape(p, H, T, A, B)
        mean_a = h5.mean(axis=3).transpose(0, 2, 3, 1).reshape(p, T * B, H)
        mean_b = h5.mean(axis=4).transpose(0, 2, 3, 1).reshape(p, T * A, H)
        fwd_out = xp.matmul(mean_a, wp["hf"]) + wp["hfb"]
        bwd_out = xp.matmul(mean_b, wp["hb"]) + wp["hbb"]
        return h, c, fwd_out, bwd_out

    def step(state, wp, x, label, ws=None):
        hs, cs, bwds = state
        p = hs[0].shape[0]
        L = p * T
        A0 = layers[0]
        fwd = xp.concatenate(
            [x.reshape(p, T * A0, 1), xp.zeros((p, T * A0, M - 1), dtype=x.dtype)], axis=2
        )
        new_h, new_c, new_b = list(hs), list(cs), list(bwds)
        for k in range(K):
            A, B = layers[k], layers[k + 1]
            bwd_in = bwds[k] if learn or k < K - 1 else xp.zeros_like(bwds[k])
            h, c, fwd, bwd_out = layer(hs[k], cs[k], fwd, bwd_in, wp, A, B, ws, k)
            if learn:
                new_h[k], new_c[k] = h, c
                if k > 0:
                    new_b[k - 1] = bwd_out
        f = fwd.reshape(L, C, M)[:, :, comp]
        y = bound * xp.tanh(f / bound)
        ymax = y.max(axis=1, keepdims=True)
        e = xp.exp(y - ymax)
        z = e.sum(axis=1, keepdims=True)
        lse = (ymax + xp.log(z))[:, 0]
        onehot = (label[:, None] == xp.arange(C)[None, :]).astype(y.dtype)
        ce = lse - (y * onehot).sum(axis=1)
        correct = (xp.argmax(y, axis=1) == label).astype(y.dtype)
        if learn:
            slots = [(e / z - onehot)[:, :, None]]
            if label_feeding:
                slots.append(onehot[:, :, None])
            if M > len(slots):
                slots.append(xp.zeros((L, C, M - len(slots)), dtype=y.dtype))
            new_b[K - 1] = xp.concatenate(slots, axis=2).reshape(p, T * C, M)
        return (new_h, new_c, new_b), ce, correct

    return step


class Peer:
    """P members x T tasks of learners, stepped in groups of members (one group under JAX)."""

    def __init__(self, spec, arrays, backend, threads, inplace):
        self.name, self.xp, self.jax, _ = backend
        xp = self.xp
        cfg = self.cfg = spec["config"]
        P, T = spec["members"], spec["tasksPerMember"]
        self.P, self.T, self.L = P, T, P * T
        layers = cfg["layers"]
        K = len(layers) - 1
        H, M = cfg["hidden"], cfg["message"]
        n = cfg["inputSize"]
        import numpy as np

        self.np = np
        images = arrays["images"].astype(np.float32)
        if cfg["projection"]:
            signs = arrays["signs"].astype(np.float32)  # [A0, n]
            self.proj = np.ascontiguousarray(signs.T) / np.float32(255 * np.sqrt(n))
        else:
            self.proj = None
            images = images / np.float32(255)
        wp = member_params(spec, arrays["params"], np)
        cells = [layers[k] * layers[k + 1] for k in range(K)]
        h0 = [np.zeros((P, H, T * cells[k]), np.float32) for k in range(K)]
        c0 = [arrays[f"c{k}"].reshape(P, T * cells[k], H).transpose(0, 2, 1) for k in range(K)]
        b0 = [np.zeros((P, T * layers[k + 1], M), np.float32) for k in range(K)]
        if self.name == "jax":
            groups = [(0, P)]
        else:
            # Members per group: at least one group per worker, and about ROWS_PER_GROUP cells
            # (enough to amortise numpy's per-call cost, few enough that a group's gate array
            # stays in cache; 4096 beat 1024 on the small cell in one quick comparison, not
            # tuned further).
            rows = max(1, T * max(cells))
            per = max(1, min(-(-P // max(1, threads)), ROWS_PER_GROUP // rows))
            groups = [(g, min(P, g + per)) for g in range(0, P, per)]
        self.groups = groups
        conv = (lambda a: self.xp.asarray(a)) if self.name == "jax" else (lambda a: a)  # noqa: E731
        self.images = conv(images)
        self.labels = conv(arrays["labels"].astype(np.int32))
        self.proj_x = conv(self.proj) if self.proj is not None else None
        self.wp = [
            {key: (None if v is None else conv(np.ascontiguousarray(v[g0:g1]))) for key, v in wp.items()}
            for g0, g1 in groups
        ]
        self.state = [
            (
                [conv(np.ascontiguousarray(x[g0:g1])) for x in h0],
                [conv(np.ascontiguousarray(x[g0:g1])) for x in c0],
                [conv(np.ascontiguousarray(x[g0:g1])) for x in b0],
            )
            for g0, g1 in groups
        ]
        zero = np.zeros(self.L, np.float32)
        self.metrics = {"oce": conv(zero), "oc": conv(zero), "qce": conv(zero), "qc": conv(zero)}
        offsets = spec["gateOffsets"]
        fns = {}
        for learn in (True, False):
            s = make_step(xp, cfg, T, offsets, learn)
            if self.name == "jax":
                s = self.jax.jit(self._with_input(s))
            else:
                s = self._with_input(s)
            fns[learn] = s
        self.fns = fns
        self.ws = [Workspace(np) if self.name == "numpy" and inplace else None for _ in groups]
        self.pool = None
        if self.name == "numpy" and threads > 1 and len(groups) > 1:
            from concurrent.futures import ThreadPoolExecutor

            self.pool = ThreadPoolExecutor(max_workers=threads)

    def _with_input(self, step):
        xp = self.xp

        def run(state, wp, images, labels, proj, idx, ws=None):
            x = images[idx]
            if proj is not None:
                x = xp.matmul(x, proj)
            return step(state, wp, x, labels[idx], ws)

        return run

    def step(self, idx, learn):
        """One step for every learner: example idx[l] (int32 [L]) for learner l."""
        T = self.T
        fn = self.fns[learn]
        conv = self.xp.asarray if self.name == "jax" else (lambda a: a)

        def one(gi):
            g0, g1 = self.groups[gi]
            args = (self.state[gi], self.wp[gi], self.images, self.labels, self.proj_x, conv(idx[g0 * T : g1 * T]))
            return fn(*args) if self.ws[gi] is None else fn(*args, self.ws[gi])

        n = len(self.groups)
        results = list(self.pool.map(one, range(n))) if self.pool else [one(i) for i in range(n)]
        ces, oks = [], []
        for gi, (state, ce, correct) in enumerate(results):
            self.state[gi] = state
            ces.append(ce)
            oks.append(correct)
        xp = self.xp
        ce = ces[0] if n == 1 else xp.concatenate(ces)
        ok = oks[0] if n == 1 else xp.concatenate(oks)
        m = self.metrics
        if learn:
            m["oce"], m["oc"] = m["oce"] + ce, m["oc"] + ok
        else:
            m["qce"], m["qc"] = m["qce"] + ce, m["qc"] + ok

    def sync(self):
        """Wait for every step queued so far (JAX dispatches asynchronously)."""
        if self.name == "jax":
            for v in self.metrics.values():
                v.block_until_ready()
            for st in self.state:
                for part in st:
                    for x in part:
                        x.block_until_ready()

    def outputs(self):
        np = self.np
        K = len(self.cfg["layers"]) - 1
        out = {}
        for k in range(K):
            for i, name in enumerate(("h", "c")):
                # [p, H, T*cells] -> [p, T*cells, H]: members in order, the [L][A][B][H] of readState.
                out[f"{name}{k}"] = np.concatenate(
                    [np.asarray(st[i][k]).transpose(0, 2, 1) for st in self.state], axis=0
                )
            out[f"b{k}"] = np.concatenate([np.asarray(st[2][k]) for st in self.state], axis=0)
        out["onlineCrossEntropy"] = np.asarray(self.metrics["oce"])
        out["onlineCorrect"] = np.asarray(self.metrics["oc"])
        out["queryCrossEntropy"] = np.asarray(self.metrics["qce"])
        out["queryCorrect"] = np.asarray(self.metrics["qc"])
        return out

    def close(self):
        if self.pool:
            self.pool.shutdown()


# ---------------------------------------------------------------------------------------------
# Modes


def run_check(peer, arrays):
    """The learning steps, then the queries, in order; every output for the parity check."""
    for row in arrays["learnIndices"]:
        peer.step(row, True)
    for row in arrays["queryIndices"]:
        peer.step(row, False)
    peer.sync()
    return {}, peer.outputs()


def run_time(peer, arrays, spec):
    """Learning steps per second: one warm-up step (JAX compiles), one timed calibration step,
    then `repeats` timed runs of as many steps (at most the rows of learnIndices) as fit in about
    targetSeconds each: the protocol of the TensorFlow.js peer (src/bench/speed/peer.ts)."""
    idx = arrays["learnIndices"]
    max_steps = idx.shape[0]
    t = time.perf_counter()
    peer.step(idx[0], True)
    peer.sync()
    warmup = time.perf_counter() - t
    t = time.perf_counter()
    peer.step(idx[min(1, max_steps - 1)], True)
    peer.sync()
    one = time.perf_counter() - t
    steps = max(1, min(max_steps, round(spec["targetSeconds"] / max(one, 1e-9))))
    runs = []
    for _ in range(spec["repeats"]):
        t = time.perf_counter()
        for s in range(steps):
            peer.step(idx[s], True)
        peer.sync()
        runs.append(time.perf_counter() - t)
    return {"warmupSeconds": warmup, "calibrationSeconds": one, "steps": steps, "learnSeconds": runs}, {}


def main(argv):
    a = parse_args(argv)
    threads = a.threads if a.threads > 0 else cpu_count()
    backend = load_backend(a.backend, threads)
    if a.probe:
        print(json.dumps({"backend": backend[0], "description": backend[3]}))
        return 0
    np = __import__("numpy")
    spec, arrays = read_input(a.dir, np)
    if spec["mode"] not in ("check", "time"):
        raise PeerInputError(f"input.json: mode {spec['mode']!r}, expected 'check' or 'time'")
    L = spec["members"] * spec["tasksPerMember"]
    for name in ("learnIndices", "queryIndices"):
        x = arrays.get(name)
        if x is None or x.ndim != 2 or x.shape[1] != L:
            raise PeerInputError(f"input.json: {name} must be [steps, {L}] (one example per learner and step)")
        count = arrays["images"].shape[0]
        if x.size and (x.min() < 0 or x.max() >= count):
            raise PeerInputError(f"{name}: an example index is outside 0..{count - 1}")
    if spec["mode"] == "time" and arrays["learnIndices"].shape[0] < 1:
        raise PeerInputError("time mode needs at least one row of learnIndices")
    inplace = a.numpy_mode == "inplace"
    peer = Peer(spec, arrays, backend, threads, inplace)
    try:
        if spec["mode"] == "check":
            timing, out = run_check(peer, arrays)
        else:
            timing, out = run_time(peer, arrays, spec)
    finally:
        peer.close()
    desc = backend[3] + ("" if backend[0] == "jax" or inplace else ", pure (no in-place updates)")
    info = {"backend": backend[0], "description": desc, "learners": L, "groups": len(peer.groups)}
    write_output(a.dir, {**info, "timing": timing}, out, np)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except PeerInputError as e:
        print(f"vsml_peer.py: {e}", file=sys.stderr)
        sys.exit(2)
