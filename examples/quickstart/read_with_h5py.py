"""Read the demo's virtual datasets with plain h5py and check them against
numpy. Nothing here knows about h5lazy: HDF5_VOL_CONNECTOR does the work.

Usage: python read_with_h5py.py DIRECTORY
"""
import sys
from pathlib import Path

import h5py
import numpy as np


def main(directory):
    d = Path(directory)
    with h5py.File(d / "station.h5") as f:
        pressure = f["pressure"][...]
    with h5py.File(d / "surface.h5") as f:
        temperature = f["temperature"][...]
        climatology = f["climatology"][...]
        anomaly = f["anomaly"]
        print(f"anomaly: {anomaly.dtype} {anomaly.shape}, chunks {anomaly.chunks}")
        print("  defined as", anomaly.attrs["h5lazy_expression"])
        print("anomaly[2:4, ::2] =")
        print(anomaly[2:4, ::2])
        expected = {
            "anomaly": temperature - climatology,
            "celsius": temperature - 273.15,
            "pressure_hpa": pressure / 100,
        }
        for name, want in expected.items():
            got = f[name][...]
            assert got.dtype == want.dtype, (name, got.dtype, want.dtype)
            np.testing.assert_array_equal(got, want)
            print(f"{name}: {got.dtype} {got.shape} equals numpy's result")


if __name__ == "__main__":
    main(sys.argv[1])
