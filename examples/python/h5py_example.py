"""h5lazy from h5py: define virtual datasets with the h5lazy module, read
them with plain h5py, look at what they are, and check them against numpy.

Usage: python h5py_example.py DIRECTORY

Writes DIRECTORY/weather.h5. With HDF5_PLUGIN_PATH and HDF5_VOL_CONNECTOR
set (source build/env.sh), every h5py.File reads through h5lazy; without
HDF5_VOL_CONNECTOR, this script opens the file with h5lazy.open_file, which
selects the connector for that file only.
"""
import os
import sys
from pathlib import Path

import h5py
import numpy as np

try:
    import h5lazy
except ImportError:  # run from the repository: the module lives in python/
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "python"))
    import h5lazy


def open_file(path, mode="r"):
    """h5py.File through the connector, however this process was started."""
    if os.environ.get("HDF5_VOL_CONNECTOR", "").startswith("h5lazy"):
        return h5py.File(path, mode)
    return h5lazy.open_file(path, mode)


def make_sources(path):
    """Hourly temperature (kelvin) and wind components at 4 x 5 stations
    for 48 hours: ordinary stored datasets."""
    hours = np.arange(48)[:, None, None]
    rng = np.random.default_rng(2024)
    temperature = (283 + 6 * np.sin(2 * np.pi * (hours - 9) / 24)
                   + rng.normal(0, 0.5, (48, 4, 5))).astype("f4")
    u = rng.normal(3, 2, (48, 4, 5)).astype("f4")
    v = rng.normal(-1, 2, (48, 4, 5)).astype("f4")
    with h5py.File(path, "w") as f:
        f.create_dataset("temperature", data=temperature, chunks=(24, 4, 5))
        f.create_dataset("u", data=u, chunks=(24, 4, 5))
        f.create_dataset("v", data=v, chunks=(24, 4, 5))
    return temperature, u, v


def main(directory):
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "weather.h5"
    temperature, u, v = make_sources(path)

    with open_file(path, "a") as f:
        for name, expr in [
            ("celsius", "temperature - 273.15"),
            ("speed", "sqrt(u**2 + v**2)"),
            # Each day's maximum: two reductions stacked (days are 24 hours).
            ("daily_max", "stack([max(temperature[0:24], axis=0), max(temperature[24:48], axis=0)])"),
            ("windy", "speed > 5"),  # a virtual dataset over a virtual dataset
        ]:
            d = h5lazy.define(f, name, expr, overwrite=True)
            print(f"defined {d.name}: {d.dtype} {d.shape} = {expr}")

    with open_file(path) as f:
        print()
        print(h5lazy.show(f, "speed"), end="")
        print()
        for name, ok, message in h5lazy.check(f):
            print(f"check {name}: {'ok' if ok else 'FAILED'} {message}")
        print()
        # Plain h5py reads: only the selection is computed.
        celsius = f["celsius"][12, :2, :3]
        print("celsius[12, :2, :3] =")
        print(celsius)
        print("mean speed per station (first row) =", f["speed"][:, 0, :].mean(axis=0))
        print("windy hours at station (0, 0):", int(f["windy"][:, 0, 0].sum()))
        # h5lazy.evaluate: an expression stored nowhere.
        noon = h5lazy.evaluate(f, "temperature[12::24] - 273.15", np.s_[:, 0, 0])
        print("celsius at noon, station (0, 0):", noon)

        speed = np.sqrt(u.astype("f4") ** 2 + v ** 2)
        checks = {
            "celsius": temperature - np.float32(273.15),
            "speed": speed,
            "daily_max": np.stack([temperature[:24].max(axis=0), temperature[24:].max(axis=0)]),
            "windy": speed > 5,
        }
        for name, want in checks.items():
            got = f[name][...]
            assert got.dtype == want.dtype and got.shape == want.shape, name
            np.testing.assert_allclose(got, want, rtol=1e-6)
            print(f"{name}: {got.dtype} {got.shape} equals numpy's")
        np.testing.assert_allclose(noon, (temperature - np.float32(273.15))[12::24, 0, 0], rtol=1e-6)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
