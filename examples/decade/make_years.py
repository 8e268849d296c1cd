"""Write ten yearly netCDF files of daily near-surface air temperature, the
way a model or a reanalysis delivers them, with xarray: year_2010.nc ...
year_2019.nc, each with t2m (time, lat, lon) packed into int16
(scale_factor 0.01 and add_offset 273.15, float32), missing values as
_FillValue -32767, chunked by 73 days and compressed (shuffle + deflate),
with the coordinates time (days since 2010-01-01), lat and lon.

Usage: python make_years.py DIRECTORY [--size DAYSxLATxLON] [--first-year Y] [--years N]

The default size, 365x18x36 (a 10-degree grid), writes 10 x 0.3 MiB in
about a second; --size 365x180x360 (1 degree) writes 10 x 30 MiB.
"""
import argparse
from pathlib import Path

import numpy as np
import xarray as xr


def field(year, first_year, days, lat, lon):
    """One year of daily temperature: a latitude profile, a seasonal cycle
    of opposite sign in the two hemispheres, a small warming trend and
    weather noise; and, as observations have, gaps: a tenth of a percent of
    the values missing (reproducible per year)."""
    day = np.arange(days)[:, None, None]
    phi = np.deg2rad(lat)[None, :, None]
    season = 12 * np.sin(phi) * np.cos(2 * np.pi * (day - 196) / days)
    trend = 0.03 * (year - first_year)
    wave = 2 * np.cos(np.deg2rad(lon))[None, None, :] * np.cos(phi)
    rng = np.random.default_rng(year)
    t = 288 - 35 * np.sin(phi) ** 2 + season + trend + wave + rng.normal(0, 1.5, (days, lat.size, lon.size))
    t[rng.random(t.shape) < 0.001] = np.nan
    return t


def write_year(path, year, first_year, days, nlat, nlon):
    """year_YYYY.nc: t2m packed, and its coordinates."""
    lat = np.linspace(-90 + 90 / nlat, 90 - 90 / nlat, nlat)
    lon = np.arange(nlon) * (360 / nlon)
    time = np.arange(days) + days * (year - first_year)
    ds = xr.Dataset(
        {"t2m": (("time", "lat", "lon"), field(year, first_year, days, lat, lon),
                 {"units": "K", "standard_name": "air_temperature", "long_name": "2 metre temperature"})},
        coords={"time": ("time", time, {"units": f"days since {first_year}-01-01", "calendar": "standard"}),
                "lat": ("lat", lat, {"units": "degrees_north", "standard_name": "latitude"}),
                "lon": ("lon", lon, {"units": "degrees_east", "standard_name": "longitude"})})
    encoding = {"t2m": {"dtype": "int16", "scale_factor": np.float32(0.01), "add_offset": np.float32(273.15),
                        "_FillValue": np.int16(-32767), "chunksizes": (min(73, days), nlat, nlon),
                        "zlib": True, "complevel": 1, "shuffle": True}}
    ds.to_netcdf(path, engine="h5netcdf", encoding=encoding)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("directory", type=Path)
    p.add_argument("--size", default="365x18x36", help="DAYSxLATxLON of each year (default 365x18x36)")
    p.add_argument("--first-year", type=int, default=2010)
    p.add_argument("--years", type=int, default=10)
    args = p.parse_args(argv)
    days, nlat, nlon = (int(n) for n in args.size.lower().split("x"))
    args.directory.mkdir(parents=True, exist_ok=True)
    for year in range(args.first_year, args.first_year + args.years):
        path = args.directory / f"year_{year}.nc"
        write_year(path, year, args.first_year, days, nlat, nlon)
        print(f"wrote {path.name}: t2m int16 ({days}, {nlat}, {nlon}), packed")


if __name__ == "__main__":
    main()
