"""Read the walk-through's results: the saved statistics with h5py (stored
data, no connector needed), the virtual anomaly with xarray (through the
connector), and check them against numpy computed from the yearly files.

Usage: python read_results.py DIRECTORY
"""
import sys
from pathlib import Path

import h5py
import numpy as np
import xarray as xr


def yearly(directory):
    """The ten years of t2m concatenated by numpy, the days of a year and
    the coordinates."""
    files = sorted(Path(directory).glob("year_*.h5"))
    parts = []
    for path in files:
        with h5py.File(path, "r") as f:
            parts.append(f["t2m"][...])
            lat, lon = f["lat"][...], f["lon"][...]
    return np.concatenate(parts, axis=0), parts[-1].shape[0], lat, lon


def main(directory):
    d = Path(directory)
    t2m, days, lat, lon = yearly(d)
    # The reference in float64, rounded to float32 as h5lazy's results are.
    mean = t2m.mean(axis=0, dtype=np.float64).astype(np.float32)
    std = t2m.std(axis=0, dtype=np.float64).astype(np.float32)

    with h5py.File(d / "stats.h5", "r") as f:
        print("stats.h5:", ", ".join(f"{k} {f[k].dtype} {f[k].shape}" for k in f))
        print("attributes of mean:", dict(f["mean"].attrs) or "none (stored data)")
        np.testing.assert_allclose(f["mean"][...], mean, rtol=1e-6)
        np.testing.assert_allclose(f["std"][...], std, rtol=1e-5)
        warmest = np.unravel_index(np.argmax(f["mean"][...]), mean.shape)
        print(f"warmest decade mean: {f['mean'][warmest] - 273.15:.2f} C at lat {lat[warmest[0]]:g}, "
              f"lon {lon[warmest[1]]:g}")
        print(f"largest day-to-day spread: {f['std'][...].max():.2f} K")

    # xarray names HDF5 dimensions it has no scales for phony_dim_N (by
    # length with "sort"); give them their meaning and coordinates.
    ds = xr.open_dataset(d / "decade.h5", engine="h5netcdf", phony_dims="sort")
    names = {dim: {t2m.shape[0]: "time", lat.size: "lat", lon.size: "lon"}[size]
             for dim, size in ds.sizes.items()}
    ds = ds.rename_dims(names).assign_coords(lat=lat, lon=lon)
    print(ds)
    anomaly = ds["anomaly"]
    last_year = anomaly.isel(time=slice(-days, None)).mean("time")
    zonal = last_year.mean("lon")
    print("last year's mean anomaly, zonal mean, K:")
    print(np.array2string(zonal.values, precision=3, max_line_width=78))
    want = (t2m - mean)[-days:].mean(axis=0).mean(axis=1)
    np.testing.assert_allclose(zonal.values, want, rtol=0, atol=1e-4)
    np.testing.assert_allclose(anomaly.isel(time=-1).values, (t2m - mean)[-1], rtol=0, atol=1e-4)
    print("h5py and xarray results equal numpy's")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
