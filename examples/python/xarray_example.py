"""h5lazy with xarray: virtual datasets with named dimensions and
coordinates, opened as an xarray Dataset (engine h5netcdf, over h5py), then
selected and reduced by label.

Usage: python xarray_example.py DIRECTORY

Writes DIRECTORY/sst.h5: a stored sea-surface temperature field
sst(time, lat, lon) with its coordinates as HDF5 dimension scales, and two
virtual datasets, climatology(lat, lon) and anomaly(time, lat, lon), given
the same dimension scales so that xarray labels them. xarray sees three
ordinary variables; reading the virtual ones computes them.
"""
import os
import sys
from pathlib import Path

import h5netcdf
import h5py
import numpy as np
import xarray as xr

try:
    import h5lazy
except ImportError:  # run from the repository: the module lives in python/
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "python"))
    import h5lazy

THROUGH_ENV = os.environ.get("HDF5_VOL_CONNECTOR", "").startswith("h5lazy")


def open_h5(path, mode="r"):
    """h5py.File through the connector, however this process was started."""
    return h5py.File(path, mode) if THROUGH_ENV else h5lazy.open_file(path, mode)


def make_sources(path):
    """Twelve monthly fields on a 9 x 12 grid, kelvin, with coordinates
    (time in days since 2020-01-01, which xarray decodes to dates)."""
    month = np.arange(12)
    time = month * 30 + 15  # mid-month, in days
    lat = np.linspace(-60, 60, 9)
    lon = np.arange(12) * 30.0
    season = 2 * np.cos(2 * np.pi * (month[:, None, None] - 1) / 12) * np.sign(lat)[None, :, None]
    sst = (300 - 15 * np.abs(lat)[None, :, None] / 60 + season
           + np.random.default_rng(12).normal(0, 0.3, (12, 9, 12))).astype("f4")
    with h5py.File(path, "w") as f:
        for name, values, units in [("time", time, "days since 2020-01-01"),
                                    ("lat", lat, "degrees_north"), ("lon", lon, "degrees_east")]:
            f[name] = values
            f[name].attrs["units"] = units
            f[name].make_scale(name)
        f.create_dataset("sst", data=sst, chunks=(4, 9, 12))
        f["sst"].attrs["units"] = "K"
        for axis, dim in enumerate(("time", "lat", "lon")):
            f["sst"].dims[axis].attach_scale(f[dim])
    return sst, lat, lon


def define_virtual(path):
    """The virtual datasets, labelled with the same dimension scales."""
    with open_h5(path, "a") as f:
        for name, expr, dims in [("climatology", "mean(sst, axis=0)", ("lat", "lon")),
                                 ("anomaly", "sst - climatology", ("time", "lat", "lon"))]:
            d = h5lazy.define(f, name, expr)
            print(f"defined {d.name}: {d.dtype} {d.shape} = {expr}")
            for axis, dim in enumerate(dims):
                f[name].dims[axis].attach_scale(f[dim])
            f[name].attrs["units"] = "K"


def open_dataset(path):
    """The file as an xarray Dataset."""
    if THROUGH_ENV:
        return xr.open_dataset(path, engine="h5netcdf")
    store = xr.backends.H5NetCDFStore(h5netcdf.File(open_h5(path), "r"))
    return xr.open_dataset(store)


def main(directory):
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "sst.h5"
    sst, lat, lon = make_sources(path)
    define_virtual(path)

    with open_dataset(path) as ds:
        print()
        print(ds)
        print()
        anomaly = ds["anomaly"]
        print("anomaly at lat=60, lon=90:", anomaly.sel(lat=60, lon=90).values)
        print("expression of anomaly:", anomaly.attrs["h5lazy_expression"])
        north = ds["climatology"].sel(lat=slice(30, None)).mean("lon")
        print("climatology north of 30N, zonal mean:", north.values)

        # h5lazy sums float32 accurately (compensated): numpy's float32
        # mean can be an ulp away, its float64 mean rounded is not.
        climatology = sst.mean(axis=0, dtype=np.float64).astype(np.float32)
        np.testing.assert_allclose(ds["climatology"].values, climatology, rtol=1e-7)
        np.testing.assert_allclose(anomaly.values, sst - climatology, rtol=0, atol=1e-6)
        np.testing.assert_allclose(anomaly.sel(lat=60, lon=90).values,
                                   (sst - climatology)[:, lat == 60, lon == 90].ravel(),
                                   rtol=0, atol=1e-6)
        np.testing.assert_allclose(north.values, climatology[lat >= 30].mean(axis=1), rtol=1e-6)
        assert anomaly.dims == ("time", "lat", "lon")
        print("climatology and anomaly equal numpy's")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
