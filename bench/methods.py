"""The measured Python programs: one workload by one method, in a process of its own.

Usage: python methods.py METHOD WORKLOAD DATADIR OUT

Methods: lazy-h5py (the virtual datasets through the connector, which the
harness selects in the environment), h5py-loop, numpy, dask-file,
dask-auto, biggus (the sources natively). The timed region runs from opening
the files to having the results in memory (or, for W4, stored and closed);
imports come before it, as a session would have them already. Then results
go to OUT.0.npy, OUT.1.npy, ... (W4 writes OUT.h5 itself, holding the
dataset named as the virtual one) and one JSON line goes to stdout:
the region's seconds, this process's rchar and read_bytes counted in it
(see bench.py for why rchar) and its peak RSS.
"""
import collections.abc
import json
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from types import SimpleNamespace

import h5py
import numpy as np

from spec import BY_NAME, DATASETS, GZIP_LEVEL, VDS_FILE, W3_REGION, slab_steps


def io_counters():
    fields = dict(line.split(": ") for line in Path("/proc/self/io").read_text().splitlines())
    return {k: int(fields[k]) for k in ("rchar", "read_bytes")}


def peak_rss():
    """VmHWM: this process's peak resident set since exec (see measure.h)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return -1


def stored(stack, out, w, like):
    """The dataset W4's result is written to (in OUT.h5): shaped and chunked as the source."""
    f = stack.enter_context(h5py.File(f"{out}.h5", "w"))
    chunks = like.chunks or (1,) + like.shape[1:]
    # The compressed workloads store as `h5lazy save --gzip 4 --shuffle` does.
    gz = dict(compression="gzip", compression_opts=GZIP_LEVEL, shuffle=True) if w.sources.compressed else {}
    return f.create_dataset(w.outputs[0][0], like.shape, w.dtype, chunks=chunks, **gz)


def read_slabs(dset, step):
    """(t0, slab) over the leading axis, read into one reused buffer."""
    buf = np.empty((step,) + dset.shape[1:], dset.dtype)
    for t0 in range(0, dset.shape[0], step):
        n = min(step, dset.shape[0] - t0)
        dset.read_direct(buf, np.s_[t0:t0 + n], np.s_[:n])
        yield t0, buf[:n]


def lazy_h5py(w, stack, directory, out):
    f = stack.enter_context(h5py.File(directory / VDS_FILE, "r"))
    if w.kind != "product":
        return [f[name][...] for name, _ in w.outputs]
    # Until `h5lazy save` exists: read the virtual dataset in slabs, store each.
    src = f[w.outputs[0][0]]
    dst = stored(stack, out, w, src)
    for t0, slab in read_slabs(src, slab_steps(src.shape, 4)):
        dst.write_direct(slab, dest_sel=np.s_[t0:t0 + len(slab)])
    return None


def h5py_loop(w, a, b, stack, out):
    """What one writes by hand: slabs of each source, float64 accumulators."""
    if w.kind == "region":
        (t0, t1), (y0, y1) = W3_REGION
        return [(a[t0:t1, y0:y1] - b[t0:t1, y0:y1]) * 2 + 1]
    step = slab_steps(a.shape, a.dtype.itemsize)
    if w.kind == "median":  # every step of a block of rows at once, as much as 16 MiB holds
        rows = max(1, (16 << 20) // (2 * a.shape[0] * a.shape[2] * a.dtype.itemsize))
        return [np.concatenate([np.median(np.concatenate([a[:, y:y + rows], b[:, y:y + rows]]), axis=0)
                                for y in range(0, a.shape[1], rows)])]
    if w.kind == "product":
        dst = stored(stack, out, w, a)
        ys = read_slabs(b, step)
        for t0, x in read_slabs(a, step):
            _, y = next(ys)
            np.multiply(x, y, out=x)
            x += 1
            dst.write_direct(x, dest_sel=np.s_[t0:t0 + len(x)])
        return None
    t, plane = a.shape[0], a.shape[1:]
    s1, s2, sq = np.zeros(plane), np.zeros(plane), np.empty(plane)
    sums = np.empty((2 * t, plane[1]))
    for i, src in enumerate((a, b)):
        for t0, slab in read_slabs(src, step):
            for k, p in enumerate(slab):
                if w.kind == "sum1":
                    np.sum(p, axis=0, dtype=np.float64, out=sums[i * t + t0 + k])
                    continue
                np.add(s1, p, out=s1)
                if w.kind == "meanstd":
                    np.multiply(p, p, out=sq, dtype=np.float64)
                    np.add(s2, sq, out=s2)
    if w.kind == "sum1":
        return [sums.astype(w.dtype)]
    n = 2 * t
    mean = s1 / n
    if w.kind == "mean":
        return [mean.astype(w.dtype)]
    # E[x^2] - E[x]^2 in float64: the cancellation costs ~10 of 16 digits' worth
    # less than a float32 result needs for data whose mean is a few standard
    # deviations from 0, as here.
    return [mean.astype(w.dtype), np.sqrt(np.maximum(s2 / n - mean**2, 0)).astype(w.dtype)]


def expression(w, a, b, lib):
    """w's results as lazy (or, for numpy, eager) arrays of an array library."""
    if w.kind == "region":
        (t0, t1), (y0, y1) = W3_REGION
        return [((a - b) * 2 + 1)[t0:t1, y0:y1]]
    if w.kind == "product":
        return [a * b + 1]
    c = lib.concat([a, b])
    if w.kind == "sum1":
        return [lib.sum(c, axis=1)]
    if w.kind == "mean":
        return [lib.mean(c, axis=0)]
    if w.kind == "median":
        return [lib.median(c, axis=0)]
    return [lib.mean(c, axis=0), lib.std(c, axis=0)]


def numpy_all(w, a, b, stack, out):
    """Everything loaded into memory, then numpy's own functions."""
    lib = SimpleNamespace(concat=np.concatenate, mean=np.mean, std=np.std, sum=np.sum, median=np.median)
    results = expression(w, a[...], b[...], lib)
    if w.kind != "product":
        return results
    stored(stack, out, w, a)[...] = results[0]
    return None


def dask_method(chunks):
    import dask
    import dask.array as da

    def run(w, a, b, stack, out):
        def src(d):  # the contiguous variant has no file chunks: one leading step
            return da.from_array(d, chunks=(d.chunks or (1,) + d.shape[1:]) if chunks == "file"
                                 else chunks)
        # da.median needs the reduced axis in one chunk: rechunked, the usual way.
        lib = SimpleNamespace(concat=da.concatenate, mean=da.mean, std=da.std, sum=da.sum,
                              median=lambda c, axis: da.median(c.rechunk({axis: -1}), axis=axis))
        results = expression(w, src(a), src(b), lib)
        if w.kind != "product":
            return list(dask.compute(*results))  # one graph: W2 reads the data once
        da.store(results[0], stored(stack, out, w, a))
        return None
    return run


def biggus_for_numpy2():
    """biggus 0.14 (2017), made to run here with shims in this process only.

    It uses names that numpy 2 (np.product, np.object) and Python 3.10
    (collections.Iterable, .Mapping) removed, and indexes arrays with lists
    of slices, which numpy 1.23 stopped reading as tuples; and LinearMosaic
    makes its tiles with np.array(tiles, dtype=object), which numpy 2 turns
    into a nested array of elements (biggus arrays look like sequences).
    """
    np.product, np.object = np.prod, object
    collections.Iterable, collections.Mapping = collections.abc.Iterable, collections.abc.Mapping
    import biggus
    import biggus._init as impl

    chunk = impl.Chunk  # results arrive keyed by lists: make them tuples
    impl.Chunk = lambda keys, data: chunk(tuple(keys) if isinstance(keys, list) else keys, data)

    mosaic_init = impl.LinearMosaic.__init__

    def init(self, tiles, axis):
        if isinstance(tiles, (list, tuple)):
            array = np.empty(len(tiles), dtype=object)
            for i, tile in enumerate(tiles):
                array[i] = tile
            tiles = array
        mosaic_init(self, tiles, axis)

    def ndarray(self):  # LinearMosaic.ndarray, indexing with a tuple
        data, offset = np.empty(self.shape, dtype=self.dtype), 0
        for tile in self._tiles:
            index = [slice(None)] * self.ndim
            index[self._axis] = slice(offset, offset + tile.shape[self._axis])
            data[tuple(index)] = tile.ndarray()
            offset += tile.shape[self._axis]
        return data

    impl.LinearMosaic.__init__, impl.LinearMosaic.ndarray = init, ndarray
    return biggus


def biggus_method():
    biggus = biggus_for_numpy2()

    def run(w, a, b, stack, out):
        lib = SimpleNamespace(concat=lambda xs: biggus.LinearMosaic(xs, axis=0),
                              mean=biggus.mean, std=biggus.std, sum=biggus.sum)
        results = expression(w, biggus.NumpyArrayAdapter(a), biggus.NumpyArrayAdapter(b), lib)
        if w.kind != "product":
            return biggus.ndarrays(results)  # evaluated together, in one pass
        biggus.save(results, [stored(stack, out, w, a)])
        return None
    return run


PEERS = {
    "h5py-loop": lambda: h5py_loop,
    "numpy": lambda: numpy_all,
    "dask-file": lambda: dask_method("file"),
    "dask-auto": lambda: dask_method("auto"),
    "biggus": biggus_method,
}


def main(method, workload, directory, out):
    w, directory = BY_NAME[workload], Path(directory)
    run = None if method == "lazy-h5py" else PEERS[method]()  # imports, before timing
    io0, t0 = io_counters(), time.perf_counter()
    with ExitStack() as stack:
        if run is None:
            results = lazy_h5py(w, stack, directory, out)
        else:
            a, b = (stack.enter_context(h5py.File(directory / f, "r"))[d]
                    for f, d in zip(w.sources.files(), DATASETS))
            results = run(w, a, b, stack, out)
    seconds, io1 = time.perf_counter() - t0, io_counters()
    for i, r in enumerate(results or []):
        np.save(f"{out}.{i}.npy", np.asarray(r))
    print(json.dumps({"seconds": seconds, **{k: io1[k] - io0[k] for k in io0}, "rss": peak_rss()}))


if __name__ == "__main__":
    main(*sys.argv[1:])
