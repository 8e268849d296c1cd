"""Run every benchmark and write RESULTS.md. bench/run.sh is the entry point.

For each workload (spec.py) and each method that applies, every run is a
process of its own, measured from here:

- time: the measured program's own clock around its timed region (opening
  the files to having the results), so interpreter start-up and imports are
  left out (the C programs call H5open, which loads the connector, before
  their clock starts, as importing h5py does); external commands (h5lazy
  save) are timed from here, start-up included.
- peak RSS: VmHWM of /proc/<pid>/status, which the measured program reads
  at its end; external commands are sampled every 5 ms while they run.
  (ru_maxrss from wait4 would not do: Linux carries it across exec, so a
  child started from this harness reports at least the harness's own size.)
- bytes read: rchar of /proc/self/io, taken by the measured program around
  its timed region (external commands: the whole process, which the kernel
  adds to this harness's own counters when it reaps it). rchar counts every
  byte read() returned, page cache hits included; read_bytes counts only
  what reached the disk, which with a warm page cache is ~0 for every
  method and so says nothing about what a method asks for. read_bytes is
  still collected, to show that the cache was warm.
- result: the first run's is checked against a float64 numpy reference.

Runs interleave methods (run 1 of every method, then run 2, ...), so that
drift in machine load spreads over all of them. The harness itself reads and
writes natively: bench/run.sh starts it without HDF5_VOL_CONNECTOR, and it
sets the connector only in the environment of the h5lazy methods.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

import data
import report
from spec import DATASETS, FULL_SHAPE, GZIP_LEVEL, QUICK_SHAPE, VDS_FILE, W3_REGION, WORKLOADS, result_shapes

HERE = Path(__file__).resolve().parent
CONNECTOR = "h5lazy under_vol=0;under_info={}"


@dataclass
class Method:
    name: str
    label: str
    group: str  # floor | limit | h5lazy | peer
    threads: int = 0  # the connector's threads= (h5lazy methods), the limit's threads
    kind: str = "python"  # floor | limit | reader | save | python
    compressed_only: bool = False  # measured on the compressed workloads only


METHODS = [
    Method("floor", "floor: C, H5Dread of every chunk, native", "floor", kind="floor"),
    Method("limit1", "limit: C, raw chunk reads + libdeflate, threads=1", "limit", 1, "limit", True),
    Method("limit2", "limit: C, raw chunk reads + libdeflate, threads=2", "limit", 2, "limit", True),
    Method("lazy-c1", "h5lazy: C reader, threads=1", "h5lazy", 1, "reader"),
    Method("lazy-c2", "h5lazy: C reader, threads=2", "h5lazy", 2, "reader"),
    Method("lazy-h5py", "h5lazy: h5py, threads=2", "h5lazy", 2),
    Method("lazy-save1", "h5lazy save, threads=1", "h5lazy", 1, "save", True),
    Method("lazy-save", "h5lazy save, threads=2", "h5lazy", 2, "save"),
    Method("h5py-loop", "h5py: hand-written loop over slabs", "peer"),
    Method("numpy", "numpy, everything loaded", "peer"),
    Method("dask-file", "dask.array, file chunks", "peer"),
    Method("dask-auto", 'dask.array, chunks="auto"', "peer"),
    Method("biggus", "biggus 0.14", "peer"),
]


@dataclass
class Cell:
    """One method on one workload."""

    method: Method
    runs: list = field(default_factory=list)  # dicts: seconds, rchar, read_bytes, rss, outer
    check: object = None  # data.Check of the first run
    skipped: str = ""  # why it did not run
    failed: str = ""  # why it stopped

    def median(self, key):
        return float(np.median([r[key] for r in self.runs])) if self.runs else None


def self_io():
    fields = dict(line.split(": ") for line in Path("/proc/self/io").read_text().splitlines())
    return {k: int(fields[k]) for k in ("rchar", "read_bytes")}


def meminfo(key):
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    return 0


def vm_hwm(pid):
    """VmHWM of a running process: its peak RSS since exec, or None."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def measure(argv, env, timeout, logs):
    """Run argv to completion; its numbers, or raise RuntimeError with its complaint."""
    io0 = self_io()
    start = time.perf_counter()
    rss = None
    with open(logs / "stdout", "w+", errors="replace") as out, \
            open(logs / "stderr", "w+", errors="replace") as err:
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=err)
        # Poll with WNOHANG rather than wait: a blocking wait cannot time out,
        # and commands that do not report their own peak RSS are sampled.
        while True:
            pid, status, _ = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            rss = vm_hwm(proc.pid) or rss
            if time.perf_counter() - start > timeout:
                proc.kill()
                os.wait4(proc.pid, 0)
                raise RuntimeError(f"timed out after {timeout:.0f} s")
            time.sleep(0.005)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall, io1 = time.perf_counter() - start, self_io()
        out.seek(0)
        err.seek(0)
        lines, complaint = out.read().splitlines(), err.read().strip().splitlines()
    if proc.returncode != 0:
        raise RuntimeError(f"exit {proc.returncode}: " + (complaint[-1] if complaint else "no message"))
    if lines and lines[-1].startswith("{"):
        return dict(json.loads(lines[-1]), outer=False)
    return {"seconds": wall, "rchar": io1["rchar"] - io0["rchar"],
            "read_bytes": io1["read_bytes"] - io0["read_bytes"], "rss": rss or 0, "outer": True}


class Bench:
    def __init__(self, args):
        self.args, self.shape = args, args.size
        self.dir = args.data / "x".join(map(str, self.shape))
        self.work = self.dir / "out"  # results of the measured processes, removed as checked
        self.bin = args.build / "bench"
        self.h5lazy = args.build / "release" / "bin" / "h5lazy"
        self.native = {k: v for k, v in os.environ.items()
                       if k not in ("HDF5_VOL_CONNECTOR", "HDF5_PLUGIN_PATH")}
        self.notes = []
        self.save_works = subprocess.run([self.h5lazy, "save", "--help"], capture_output=True,
                                         env=self.native).returncode == 0

    def env(self, m):
        if m.group != "h5lazy":
            return self.native
        return dict(self.native, HDF5_PLUGIN_PATH=str(self.args.build / "release" / "plugin"),
                    HDF5_VOL_CONNECTOR=f"{CONNECTOR};threads={m.threads}")

    def source_paths(self, w):
        """The workload's source files (the compressed variant's are shorter: spec.Variant.shape)."""
        return [self.dir / f for f in w.sources.files()]

    def skip_reason(self, m, w):
        compressed = w.sources.compressed
        if m.compressed_only and not compressed:
            return "measured on the compressed workloads only"
        if compressed and m.name in ("numpy", "dask-auto", "biggus"):
            return "the compressed workloads compare with dask (file chunks) and the h5py loop"
        if m.name == "biggus" and w.kind == "median":
            return "biggus has no median"
        if m.kind == "reader" and w.kind == "product":
            return "reads whole datasets into memory; W4 stores its result"
        if m.kind == "save" and not self.save_works:
            return "`h5lazy save --help` fails: the subcommand is not there yet"
        if m.name == "numpy":
            # All of A and B, their concatenation (W4: the product) and one
            # temporary as large (std's deviations, W4's + 1).
            need = 3 * sum(p.stat().st_size for p in self.source_paths(w))
            if need > meminfo("MemTotal") / 2:
                return f"needs ~{need / 2**30:.1f} GiB, more than half of RAM"
        return ""

    def argv(self, m, w, out):
        names = [name for name, _ in w.outputs]
        # The compressed workloads store W4z's result with --gzip 4 --shuffle.
        gz = ["--gzip", str(GZIP_LEVEL), "--shuffle"] if w.sources.compressed else []
        if m.kind in ("floor", "limit"):
            (t0, t1), (y0, y1) = W3_REGION
            extra = {"region": ["--region", f"{t0}:{t1},{y0}:{y1}"],
                     "product": ["--write", f"{out}.h5", *gz]}.get(w.kind, [])
            threads = ["--threads", str(m.threads)] if m.kind == "limit" else []
            return [self.bin / m.kind, *threads, *extra,
                    *(f"{p}:{d}" for p, d in zip(self.source_paths(w), DATASETS))]
        if m.kind == "reader":
            return [self.bin / "read_vds", "--dump", f"{out}.raw", self.dir / VDS_FILE, *names]
        if m.kind == "save":
            # save opens its files with options of its own: the environment's
            # threads= would not reach it.
            return [self.h5lazy, "save", "--threads", str(m.threads), *gz, self.dir / VDS_FILE,
                    *(f"{n}={out}.h5:/{n}" for n in names)]
        return [sys.executable, HERE / "methods.py", m.name, w.name, self.dir, out]

    def results(self, m, w, out, refs):
        """Check what the run left in out.* against the reference."""
        strict = m.group == "h5lazy"
        if w.kind == "product":
            return data.check_stored(self.dir, w, f"{out}.h5", strict)
        if m.kind == "reader":
            got = data.load_raw(w, f"{out}.raw", self.shape)
        elif m.kind == "save":
            with h5py.File(f"{out}.h5", "r") as f:
                got = [f[name][...] for name, _ in w.outputs]
        else:
            got = [np.load(f"{out}.{i}.npy") for i in range(len(w.outputs))]
        return data.check_arrays(w, got, refs, strict)

    def warm(self, w):
        """Read the workload's sources (cat > /dev/null) so that runs find them cached.

        Done before every round of runs, not once: a kernel may page out
        cache that stays idle (DAMON's reclaim does, after about a minute),
        and a round of slow methods can take that long.
        """
        paths = self.source_paths(w) + [self.dir / VDS_FILE]
        subprocess.run(["cat", *paths], stdout=subprocess.DEVNULL, check=True)
        return {"sources": sum(p.stat().st_size for p in paths), "available": meminfo("MemAvailable")}

    def workload(self, w):
        refs = data.reference(self.dir, w)
        cells = [Cell(m, skipped=self.skip_reason(m, w)) for m in METHODS]
        load0 = os.getloadavg()
        for r in range(self.args.runs):
            cache = self.warm(w)
            if r == 0 and cache["available"] < 2 * cache["sources"]:
                self.notes.append(f"{w.name}: only {cache['available'] / 2**30:.1f} GiB available "
                                  f"for {cache['sources'] / 2**30:.1f} GiB of sources: the page "
                                  "cache may not hold them")
            for c in cells:
                if c.skipped or c.failed:
                    continue
                out = self.work / f"{w.name}-{c.method.name}"
                try:
                    run = measure([str(a) for a in self.argv(c.method, w, out)], self.env(c.method),
                                  self.args.timeout, self.work)
                    c.runs.append(run)
                    if r == 0 and c.method.kind not in ("floor", "limit"):
                        c.check = self.results(c.method, w, out, refs)
                except RuntimeError as e:
                    c.failed = str(e)
                for p in self.work.glob(f"{out.name}.*"):
                    p.unlink()  # before writeback: a W4 output never reaches the disk
                status = c.failed or f"{c.runs[-1]['seconds']:.3f} s"
                if c.check and r == 0:
                    status += f", {c.check}"
                print(f"  {w.name} {c.method.name} run {r + 1}/{self.args.runs}: {status}", flush=True)
        return {"workload": w, "cells": cells, "cache": cache, "load": (load0, os.getloadavg()),
                "region_bytes": self.region_bytes(w), "passes": self.passes(w)}

    def passes(self, w):
        """What `h5lazy show` says of the passes over the sources a read of
        w's first result makes (order statistics), or None."""
        proc = subprocess.run([str(self.h5lazy), "show", str(self.dir / VDS_FILE), w.outputs[0][0]],
                              capture_output=True, text=True, env=self.env(next(m for m in METHODS if m.name == "lazy-h5py")))
        for line in proc.stdout.splitlines():
            if line.strip().startswith("passes over the operands in a read:"):
                return line.split(":", 1)[1].strip()
        return None

    def region_bytes(self, w):
        """Bytes of the sources W3's result needs: both operands' boxes."""
        if w.kind != "region":
            return None
        itemsize = np.dtype(w.sources.dtype).itemsize
        return 2 * int(np.prod(result_shapes(w, self.shape)[0])) * itemsize

    def run(self):
        started = time.time()
        load = os.getloadavg()
        print(f"data: {self.dir} (shape {self.shape})", flush=True)
        if data.generate(self.dir, self.shape):
            print(f"  generated in {time.time() - started:.0f} s", flush=True)
        data.define(self.dir, self.h5lazy)
        shutil.rmtree(self.work, ignore_errors=True)
        self.work.mkdir()
        chosen = [w for w in WORKLOADS if not self.args.workloads or w.name in self.args.workloads]
        done = []
        for w in chosen:
            print(f"{w.name}: {w.title}", flush=True)
            done.append(self.workload(w))
        info = {"args": self.args, "shape": self.shape, "started": started,
                "seconds": time.time() - started, "load": (load, os.getloadavg()),
                "notes": self.notes, "save_works": self.save_works, "dir": self.dir}
        text = report.render(info, done)
        self.args.out.write_text(text)
        print(report.tables(done))
        print(f"wrote {self.args.out} in {info['seconds']:.0f} s")
        return 0 if report.h5lazy_ok(done) else 1


def parse_shape(text):
    shape = tuple(int(v) for v in text.split(","))
    (_, t1), (_, y1) = W3_REGION
    if len(shape) != 3 or shape[0] < t1 or shape[1] < y1 or shape[2] < 1:
        raise argparse.ArgumentTypeError(f"want T,Y,X with T >= {t1} and Y >= {y1} "
                                         "(W3 reads [10:20, 100:200])")
    return shape


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true",
                   help=f"shape {','.join(map(str, QUICK_SHAPE))}, one run: checks results only")
    p.add_argument("--size", type=parse_shape, help="shape T,Y,X of each source "
                   f"(default {','.join(map(str, FULL_SHAPE))})")
    p.add_argument("--runs", type=int, help="runs of each measurement (default 3, quick 1)")
    p.add_argument("--data", type=Path, help="where the data is generated (default build/bench-data)")
    p.add_argument("--out", type=Path, help="report to write "
                   "(default bench/RESULTS.md, quick: RESULTS.md in the data directory)")
    p.add_argument("--timeout", type=float, default=600, help="seconds allowed per run")
    p.add_argument("--workloads", type=lambda s: s.split(","), help="only these, e.g. W1,W3")
    args = p.parse_args()
    args.size = args.size or (QUICK_SHAPE if args.quick else FULL_SHAPE)
    args.runs = args.runs or (1 if args.quick else 3)
    # bench/run.sh's build directory: release/ (h5lazy) and bench/ (the C programs).
    args.build = Path(os.environ.get("H5LAZY_BUILD", HERE.parent / "build")).resolve()
    args.data = (args.data or args.build / "bench-data").resolve()
    bench = Bench(args)
    args.out = args.out or (bench.dir / "RESULTS.md" if args.quick else HERE / "RESULTS.md")
    args.command = "bench/run.sh " + " ".join(sys.argv[1:])
    return bench.run()


if __name__ == "__main__":
    sys.exit(main())
