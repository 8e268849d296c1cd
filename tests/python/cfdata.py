"""Random netCDF files with CF encodings, written by xarray, and what
xarray (plus the valid-range rule of netCDF4-python) decodes them to: the
sources and the oracle of the issue-15 suites (test_cf_*.py).

A case is a seed. Its file holds one variable `v` (time, lat, lon) with
coordinates, stored in one of the encodings below, with a random chunking,
NaN in the data, sometimes a column missing at every time, and sometimes a
missing_value list, a valid range and NaN stored as data besides.
"""
import warnings

import h5py
import numpy as np

# (stored dtype, scale_factor dtype or None, add_offset dtype or None,
#  _FillValue): how `v` is stored. Floats keep their values; integers pack.
ENCODINGS = [
    ("float32", None, None, 1e20),
    ("float32", None, None, -9999.0),
    ("float64", None, None, -1e30),
    ("int16", "float32", "float32", -32767),
    ("int16", "float64", "float64", -32768),
    ("int8", "float32", "float32", -127),
    ("int8", "float64", "float64", 127),
    ("uint16", "float32", None, 65535),
    ("uint16", "float64", "float32", 0),
    ("int16", None, "float32", -1),
    ("int32", None, None, -2147483647),
    ("int16", None, None, -999),
]


def _packing(dtype, rng):
    """A scale and offset that put decoded values of about 250..310 (K)
    inside the integer type's range."""
    info = np.iinfo(dtype)
    span = (int(info.max) - int(info.min)) * 0.8
    scale = 60.0 / span * rng.uniform(0.9, 1.1)
    offset = 280.0 - (int(info.max) + int(info.min)) / 2 * scale
    return scale, offset


def write_case(path, seed):
    """Write case `seed` to `path`; returns a description (dict)."""
    import xarray as xr
    rng = np.random.default_rng(seed)
    enc = ENCODINGS[seed % len(ENCODINGS)]
    stored, scale_t, offset_t, fill = enc
    shape = (int(rng.integers(3, 8)), int(rng.integers(2, 6)), int(rng.integers(2, 7)))
    kind = np.dtype(stored).kind
    if kind == "f":
        values = rng.normal(280, 15, shape)
    elif scale_t or offset_t:
        values = rng.uniform(255, 305, shape)
    else:  # an integer without packing: integers as data
        values = rng.integers(-500, 500, shape).astype(np.float64)
    values[rng.random(shape) < 0.15] = np.nan
    all_missing = bool(rng.random() < 0.5)
    if all_missing:
        values[:, rng.integers(shape[1]), rng.integers(shape[2])] = np.nan
    encoding = {"dtype": stored, "_FillValue": np.dtype(stored).type(fill),
                "chunksizes": tuple(int(rng.integers(1, n + 1)) for n in shape)}
    if scale_t or offset_t:
        scale, offset = _packing(stored, rng)
        if scale_t:
            encoding["scale_factor"] = np.dtype(scale_t).type(scale)
        else:  # offset alone: values pack as x - offset
            values = np.round(values - 280) + 280
        if offset_t:
            encoding["add_offset"] = np.dtype(offset_t).type(offset if scale_t else 280)
    ds = xr.Dataset(
        {"v": (("time", "lat", "lon"), values, {"units": "K", "long_name": "a field"})},
        coords={"time": ("time", np.arange(shape[0]) * 30, {"units": "days since 2000-01-01",
                                                            "calendar": "standard"}),
                "lat": ("lat", np.linspace(-60, 60, shape[1]), {"units": "degrees_north"}),
                "lon": ("lon", np.linspace(0, 300, shape[2]), {"units": "degrees_east"})})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds.to_netcdf(path, engine="h5netcdf", encoding={"v": encoding})
    info = {"seed": seed, "stored": stored, "scale": scale_t, "offset": offset_t, "fill": fill,
            "shape": shape, "all_missing": all_missing, "missing_value": None, "valid": None,
            "nan_data": False}
    with h5py.File(path, "a") as f:
        v = f["v"]
        raw = v[...]
        present = raw[raw != v.attrs["_FillValue"][0]]
        present = present[~np.isnan(present)] if kind == "f" else present
        if rng.random() < 0.5 and present.size >= 2:  # a missing_value list of stored values
            mv = np.unique(rng.choice(present, 2)).astype(stored)
            v.attrs["missing_value"] = mv
            info["missing_value"] = mv.tolist()
        if rng.random() < 0.5 and present.size >= 4:  # a valid range inside the data
            lo, hi = np.percentile(present, [10, 90])
            lo, hi = np.dtype(stored).type(lo), np.dtype(stored).type(hi)
            if rng.random() < 0.5:
                v.attrs["valid_range"] = np.array([lo, hi], dtype=stored)
            else:
                v.attrs["valid_min" if rng.random() < 0.5 else "valid_max"] = np.array(
                    [lo if rng.random() < 0.5 else hi], dtype=stored)
            info["valid"] = {k: v.attrs[k].tolist() for k in ("valid_range", "valid_min", "valid_max")
                             if k in v.attrs}
        if kind == "f" and rng.random() < 0.5:  # NaN stored as data, not as the fill value
            raw = v[...]
            raw[0, 0, :] = np.nan
            v[...] = raw
            info["nan_data"] = True
    return info


def decoded(path, name="v", **kwargs):
    """What xarray decodes variable `name` of `path` to (a loaded
    DataArray), with the stored values outside valid_range (two values),
    else valid_min and valid_max, masked too, as netCDF4-python and CF ask
    (xarray ignores them)."""
    import xarray as xr
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with xr.open_dataset(path, engine="h5netcdf", **kwargs) as ds:
            v = ds[name].load()
        with xr.open_dataset(path, engine="h5netcdf", mask_and_scale=False, **kwargs) as ds:
            raw = ds[name].values
            attrs = ds[name].attrs
    lo = hi = None
    if "valid_range" in attrs and np.size(attrs["valid_range"]) == 2:
        lo, hi = np.ravel(attrs["valid_range"])
    else:
        lo, hi = attrs.get("valid_min"), attrs.get("valid_max")
    outside = np.zeros(raw.shape, bool)
    if lo is not None:
        outside |= raw < np.ravel(lo)[0]
    if hi is not None:
        outside |= raw > np.ravel(hi)[0]
    return v.where(~outside) if outside.any() else v


def raw_values(path, name="v"):
    """The stored values of `name`, as h5py reads them without decoding."""
    with h5py.File(path, "r") as f:
        return f[name][...]
