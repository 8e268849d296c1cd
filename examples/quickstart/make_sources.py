"""Write the demo's source data: an ordinary HDF5 file a user might have.

surface.h5   /temperature   float32 (6, 8)  kelvin, chunked (2, 8)
             /climatology   float32 (8,)    kelvin, one value per column
station.h5   /pressure      int32   (6, 8)  pascal

Usage: python make_sources.py DIRECTORY
"""
import sys
from pathlib import Path

import h5py
import numpy as np


def main(directory):
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    t, x = np.meshgrid(np.arange(6), np.arange(8), indexing="ij")
    temperature = (280.0 + 2.5 * t + 0.5 * x).astype("f4")
    climatology = (283.0 + 0.25 * np.arange(8)).astype("f4")
    pressure = (101325 - 40 * t * x).astype("i4")
    with h5py.File(out / "surface.h5", "w") as f:
        f.create_dataset("temperature", data=temperature, chunks=(2, 8))
        f.create_dataset("climatology", data=climatology)
    with h5py.File(out / "station.h5", "w") as f:
        f.create_dataset("pressure", data=pressure)


if __name__ == "__main__":
    main(sys.argv[1])
