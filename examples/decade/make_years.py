"""Write ten yearly files of daily near-surface air temperature, the way a
model or a reanalysis delivers them: year_2010.h5 ... year_2019.h5, each
with /t2m float32 (day, lat, lon) in kelvin, chunked by 73 days, and its
coordinates /time (days since 2010-01-01), /lat, /lon.

Usage: python make_years.py DIRECTORY [--size DAYSxLATxLON] [--first-year Y] [--years N]

The default size, 365x18x36 (a 10-degree grid), writes 10 x 0.9 MiB in well
under a second; --size 365x180x360 (1 degree) writes 10 x 90 MiB.
"""
import argparse
from pathlib import Path

import h5py
import numpy as np


def field(year, first_year, days, lat, lon):
    """One year of daily temperature: a latitude profile, a seasonal cycle
    of opposite sign in the two hemispheres, a small warming trend and
    weather noise (reproducible per year)."""
    day = np.arange(days)[:, None, None]
    phi = np.deg2rad(lat)[None, :, None]
    season = 12 * np.sin(phi) * np.cos(2 * np.pi * (day - 196) / days)
    trend = 0.03 * (year - first_year)
    wave = 2 * np.cos(np.deg2rad(lon))[None, None, :] * np.cos(phi)
    noise = np.random.default_rng(year).normal(0, 1.5, (days, lat.size, lon.size))
    return (288 - 35 * np.sin(phi) ** 2 + season + trend + wave + noise).astype(np.float32)


def write_year(path, year, first_year, days, nlat, nlon):
    """year_YYYY.h5: t2m and its coordinates."""
    lat = np.linspace(-90 + 90 / nlat, 90 - 90 / nlat, nlat)
    lon = np.arange(nlon) * (360 / nlon)
    t2m = field(year, first_year, days, lat, lon)
    with h5py.File(path, "w") as f:
        f["time"] = np.arange(days) + days * (year - first_year)
        f["time"].attrs["units"] = f"days since {first_year}-01-01"
        f["lat"] = lat
        f["lat"].attrs["units"] = "degrees_north"
        f["lon"] = lon
        f["lon"].attrs["units"] = "degrees_east"
        f.create_dataset("t2m", data=t2m, chunks=(min(73, days), nlat, nlon))
        f["t2m"].attrs["units"] = "K"
    return t2m


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
        path = args.directory / f"year_{year}.h5"
        write_year(path, year, args.first_year, days, nlat, nlon)
        print(f"wrote {path.name}: t2m float32 ({days}, {nlat}, {nlon})")


if __name__ == "__main__":
    main()
