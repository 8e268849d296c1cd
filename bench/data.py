"""The benchmark's data: sources, virtual dataset definitions, references, checks.

Runs inside the harness, which reads and writes natively (no connector).
"""
import json
import subprocess

import h5py
import numpy as np

from spec import DATASETS, GZIP_LEVEL, VARIANTS, VDS_FILE, W3_REGION, WORKLOADS, result_shapes, slab_steps

GENERATOR = 1  # bump when the numbers generated change, to regenerate old data
SMOOTH_GENERATOR = 1  # the same for the compressed variant (its own stamp)


def _slab(which, t0, t1, shape):
    """Time steps t0..t1 of source A (which=0) or B (1) in float32.

    One generator per time step, seeded by (which, t), makes every step the
    same whatever the slab size. A is about 10 +- 1 and B about 5 +- 2, so
    that means, standard deviations and differences are all well away from 0
    and relative errors stay meaningful.
    """
    out = np.empty((t1 - t0,) + tuple(shape[1:]), np.float32)
    for i, t in enumerate(range(t0, t1)):
        rng = np.random.default_rng([which, t])
        rng.standard_normal(shape[1:], dtype=np.float32, out=out[i])
    return out * (1, 2)[which] + (10, 5)[which]


def _smooth(which, t0, t1, shape):
    """Steps t0..t1 of the compressed variant's source A (which=0) or B (1).

    Smooth fields (a few waves of random phase) with a little noise,
    rounded to 2 decimals, as stored model output is: shuffle + deflate 4
    keeps about 1 byte in 2.5. A is about 10 and B about 15, both +- 6.
    """
    y = np.arange(shape[1], dtype=np.float32)[:, None]
    x = np.arange(shape[2], dtype=np.float32)[None, :]
    out = np.empty((t1 - t0,) + tuple(shape[1:]), np.float32)
    for i, t in enumerate(range(t0, t1)):
        rng = np.random.default_rng([which, t, 2])
        ph = rng.uniform(0, 2 * np.pi, 4).astype(np.float32)
        f = (10 + 5 * which) + 3 * np.sin(x / 97 + ph[0]) * np.cos(y / 131 + ph[1]) \
            + 2 * np.sin((x + y) / 53 + ph[2]) + 0.5 * np.cos(x / 17 + ph[3])
        f += rng.normal(0, 0.02, f.shape).astype(np.float32)
        out[i] = np.round(f, 2)
    return out


def _as_variant(slab, which, dtype):
    if dtype == "int16":  # thousandths of the distance from the centre: within +-13000
        return np.rint((slab - (10, 5)[which]) * 1000).astype(np.int16)
    return slab


def generate(directory, shape):
    """Write every variant's sources under directory, unless already there."""
    made = _generate_compressed(directory, shape)
    stamp = directory / "sources.json"
    want = {"shape": list(shape), "generator": GENERATOR}
    if stamp.is_file() and json.loads(stamp.read_text()) == want:
        return made
    stamp.unlink(missing_ok=True)
    directory.mkdir(parents=True, exist_ok=True)
    step = slab_steps(shape, 4)
    for which, name in enumerate(DATASETS):
        files = []
        for v in VARIANTS.values():
            if v.compressed:
                continue
            f = h5py.File(directory / v.files()[which], "w")
            chunks = (1,) + tuple(shape[1:]) if v.chunked else None
            files.append((f, f.create_dataset(name, shape, v.dtype, chunks=chunks), v.dtype))
        for t0 in range(0, shape[0], step):
            t1 = min(t0 + step, shape[0])
            slab = _slab(which, t0, t1, shape)
            for _, dset, dtype in files:
                dset[t0:t1] = _as_variant(slab, which, dtype)
        for f, _, _ in files:
            f.close()
    stamp.write_text(json.dumps(want))
    return True


def _generate_compressed(directory, shape):
    """The compressed variants' sources, under a stamp of their own."""
    made = False
    step = slab_steps(shape, 4)
    for v in VARIANTS.values():
        if not v.compressed:
            continue
        vshape = v.shape(shape)
        stamp = directory / f"sources{v.suffix}.json"
        want = {"shape": list(vshape), "generator": SMOOTH_GENERATOR, "level": GZIP_LEVEL}
        if stamp.is_file() and json.loads(stamp.read_text()) == want:
            continue
        stamp.unlink(missing_ok=True)
        directory.mkdir(parents=True, exist_ok=True)
        for which, name in enumerate(DATASETS):
            with h5py.File(directory / v.files()[which], "w") as f:
                dset = f.create_dataset(name, vshape, v.dtype, chunks=(1,) + tuple(shape[1:]),
                                        shuffle=True, compression="gzip", compression_opts=GZIP_LEVEL)
                for t0 in range(0, vshape[0], step):
                    t1 = min(t0 + step, vshape[0])
                    dset[t0:t1] = _smooth(which, t0, t1, vshape)
        stamp.write_text(json.dumps(want))
        made = True
    return made


def define(directory, h5lazy):
    """(Re)define every workload's virtual datasets in vds.h5 with h5lazy define."""
    for w in WORKLOADS:
        for name, expr in w.outputs:
            subprocess.run([h5lazy, "define", "--overwrite", VDS_FILE, name, expr],
                           cwd=directory, check=True)


def _sources(directory, w):
    return [h5py.File(directory / f, "r")[d] for f, d in zip(w.sources.files(), DATASETS)]


def _slabs(directory, w, region=None):
    """(t0, a, b): float64 slabs of w's two sources, within region if given."""
    a, b = _sources(directory, w)
    (t_lo, t_hi), rows = region or ((0, a.shape[0]), (0, a.shape[1]))
    step = slab_steps(a.shape, 8)
    for t0 in range(t_lo, t_hi, step):
        t1 = min(t0 + step, t_hi)
        sel = np.s_[t0:t1, rows[0]:rows[1]]
        yield t0, a[sel].astype(np.float64), b[sel].astype(np.float64)


def reference(directory, w):
    """w's results computed in float64 from the sources, a slab at a time.

    W4's result is as large as a source: it is checked against slabs computed
    on the fly (check_stored) rather than kept here.
    """
    if w.kind == "product":
        return None
    if w.kind == "region":
        return [np.concatenate([(a - b) * 2 + 1 for _, a, b in _slabs(directory, w, W3_REGION)])]
    if w.kind == "median":  # numpy's median of C over blocks of rows, every step of them at once
        a, b = _sources(directory, w)
        rows = max(1, (256 << 20) // (2 * a.shape[0] * a.shape[2] * a.dtype.itemsize))
        return [np.concatenate([np.median(np.concatenate([a[:, y:y + rows], b[:, y:y + rows]]), axis=0)
                                for y in range(0, a.shape[1], rows)]).astype(np.float64)]
    if w.kind == "sum1":  # C's rows: every slab of A, then every slab of B
        sums = [(a.sum(axis=1), b.sum(axis=1)) for _, a, b in _slabs(directory, w)]
        return [np.concatenate([s[0] for s in sums] + [s[1] for s in sums])]
    # Mean and variance with Welford-style merging of slab moments: exact
    # enough in float64 for any number of slabs.
    n, mean, m2 = 0, 0.0, 0.0
    for _, a, b in _slabs(directory, w):
        for x in (a, b):
            k, xm = len(x), x.mean(axis=0)
            delta = xm - mean
            mean = mean + delta * k / (n + k)
            m2 = m2 + ((x - xm) ** 2).sum(axis=0) + delta**2 * n * k / (n + k)
            n += k
    return [mean] if w.kind == "mean" else [mean, np.sqrt(m2 / n)]


def tolerance(dtype):
    """Largest accepted error, relative to the largest reference magnitude.

    float32 results: numpy and dask accumulate float32 sums in float32 (W5
    sums 1000 values in order along a non-contiguous axis), which costs up
    to ~1e-5 of the magnitude; 1e-4 still catches any wrong element. float64
    results (W1 over int16) are held to float64 accuracy.
    """
    return 1e-4 if np.dtype(dtype) == np.float32 else 1e-10


class Check:
    """The worst error of one method's results against the reference."""

    def __init__(self, w, strict):
        self.dtype, self.strict, self.err, self.scale = w.dtype, strict, 0.0, 0.0
        self.problem = self.other_dtype = None

    def add(self, got, ref):
        """Compare one result. A type other than numpy's fails a strict check
        (h5lazy's promise) and is only noted for a peer."""
        got = np.asarray(got)
        if got.shape != ref.shape or (self.strict and got.dtype != np.dtype(self.dtype)):
            self.problem = f"got {got.dtype}{list(got.shape)}, want {self.dtype}{list(ref.shape)}"
            return
        if got.dtype != np.dtype(self.dtype):
            self.other_dtype = str(got.dtype)
        diff = np.abs(got.astype(np.float64) - ref)
        self.err = max(self.err, float(np.nan_to_num(diff, nan=np.inf).max(initial=0)))
        self.scale = max(self.scale, float(np.abs(ref).max(initial=0)))

    @property
    def relative(self):
        return self.err / self.scale if self.scale else self.err

    @property
    def ok(self):
        return self.problem is None and self.relative <= tolerance(self.dtype)

    def __str__(self):
        if self.problem:
            return f"WRONG: {self.problem}"
        note = f", {self.other_dtype}" if self.other_dtype else ""
        return f"{'ok' if self.ok else 'WRONG'} ({self.relative:.1e}{note})"


def check_arrays(w, results, refs, strict):
    c = Check(w, strict)
    if len(results) != len(refs):
        c.problem = f"{len(results)} results, want {len(refs)}"
    for got, ref in zip(results, refs):
        c.add(got, ref)
    return c


def check_stored(directory, w, path, strict):
    """Check W4's stored result in path (dataset named as the virtual one)."""
    c = Check(w, strict)
    with h5py.File(path, "r") as f:
        out = f[w.outputs[0][0]]
        if out.shape != _sources(directory, w)[0].shape:
            c.problem = f"shape {out.shape}"
            return c
        for t0, a, b in _slabs(directory, w):
            c.add(out[t0:t0 + len(a)], a * b + 1)
    return c


def load_raw(w, path, shape):
    """Split the C reader's dump (results one after another) into arrays."""
    flat = np.fromfile(path, w.dtype)
    shapes = result_shapes(w, shape)
    sizes = [int(np.prod(s)) for s in shapes]
    if flat.size != sum(sizes):
        return [flat]  # the check reports the wrong shape
    return [part.reshape(s) for part, s in zip(np.split(flat, np.cumsum(sizes)[:-1]), shapes)]
