"""Read the walk-through's results with xarray, as a user would, and check
them against xarray's own computation on the yearly files: decade.nc's
virtual variables t2m and anomaly (through the connector) and its saved,
now stored, mean and std.

Usage: python read_results.py DIRECTORY
"""
import sys
from pathlib import Path

import numpy as np
import xarray as xr


def yearly(directory):
    """xarray's decade: the yearly files opened (decoded) and joined."""
    files = sorted(Path(directory).glob("year_*.nc"))
    return xr.concat([xr.open_dataset(f, engine="h5netcdf") for f in files], dim="time")


def same(got, want, what, rtol):
    """Values (float32 rounding: h5lazy sums in double), missing values,
    dimensions and coordinates."""
    assert got.dims == want.dims, (what, got.dims, want.dims)
    np.testing.assert_array_equal(np.isnan(got.values), np.isnan(want.values), err_msg=what)
    np.testing.assert_allclose(got.values, want.values, rtol=rtol, atol=rtol * 300, err_msg=what)
    for dim in want.dims:
        np.testing.assert_array_equal(got[dim].values, want[dim].values, err_msg=f"{what}: {dim}")


def main(directory):
    d = Path(directory)
    src = yearly(d)["t2m"]
    # xarray's float32 mean sums in float32, losing a few units in the
    # sixth digit over 3650 days; h5lazy sums in double. The reference is
    # xarray's computation in float64, rounded to float32.
    mean = src.astype("float64").mean("time").astype("float32")
    std = src.astype("float64").std("time").astype("float32")

    ds = xr.open_dataset(d / "decade.nc", engine="h5netcdf")
    print(ds)
    print()
    print(ds["anomaly"].attrs)
    print(f"cell_methods of mean: {ds['mean'].attrs['cell_methods']!r}")
    missing = int(ds["anomaly"].isnull().sum())
    print(f"missing values in the anomaly: {missing} (in the yearly files: {int(src.isnull().sum())})")
    same(ds["t2m"], src, "t2m", 1e-6)
    same(ds["mean"], mean, "mean", 1e-6)
    same(ds["std"], std, "std", 1e-5)
    last = ds["anomaly"].isel(time=slice(-365, None))
    same(last, (src - mean).isel(time=slice(-365, None)), "anomaly", 1e-5)
    zonal = last.mean("time").mean("lon")
    print("last year's mean anomaly, zonal mean, K:")
    print(np.array2string(zonal.values, precision=3, max_line_width=78))

    warmest = ds["mean"].where(ds["mean"] == ds["mean"].max(), drop=True)
    print(f"warmest decade mean: {float(warmest.values.ravel()[0]) - 273.15:.2f} C at lat "
          f"{float(warmest['lat'][0]):g}, lon {float(warmest['lon'][0]):g}")
    print(f"largest day-to-day spread: {float(ds['std'].max()):.2f} K")
    print("xarray reads the virtual and the saved variables as its own computation on the yearly files")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
