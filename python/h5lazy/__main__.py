"""python -m h5lazy (and the `h5lazy` console command of the wheel): the
module's functions from a shell.

    python -m h5lazy env                      the two exports for a shell
    python -m h5lazy define FILE NAME EXPR    [--chunks N,N] [--overwrite] [--fill-value V]
                                              [--attr KEY=VALUE ...] [--attrs-from OPERAND]
                                              [--dim AXIS=NAME ...]
    python -m h5lazy show FILE [NAME]         [--dot]
    python -m h5lazy check FILE
    python -m h5lazy eval FILE EXPR           [--slice '[0:2, ::-1]']
    python -m h5lazy save FILE NAME[=OUTFILE:OUTNAME] ... [--overwrite]

Files are opened through the connector with h5lazy.open_file, so only the
package (and h5py) is needed: no HDF5 of the h5lazy project, no settings.
Errors print as `h5lazy CMD: error: ...` and exit with status 1, as the C
command's do (docs/tools.md).
"""
import argparse
import shlex
import sys

import numpy as np

import h5lazy


def _env(args):
    env = h5lazy.environment()
    if not env:
        raise h5lazy.Error(["this h5lazy has no plugin directory of its own (not installed from "
                            "the wheel): use the HDF5_PLUGIN_PATH of your build"])
    for key, value in env.items():
        print(f"export {key}={shlex.quote(value)}")
    return 0


def _attr(text):
    """--attr KEY=VALUE as h5lazy define takes it: an integer, else a
    number, else text; "..." is always text."""
    key, eq, value = text.partition("=")
    if not eq or not key:
        raise argparse.ArgumentTypeError(f"--attr wants KEY=VALUE, got {text!r}")
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return key, value[1:-1]
    for kind in (int, float):
        try:
            number = kind(value)
        except ValueError:
            continue
        if kind is int or np.isfinite(number):
            return key, number
    return key, value


def _dim(text):
    """--dim AXIS=NAME."""
    axis, eq, name = text.partition("=")
    if not eq or not name or not axis.lstrip("-").isdigit():
        raise argparse.ArgumentTypeError(f"--dim wants AXIS=NAME, got {text!r}")
    return int(axis), name


def _define(args):
    chunks = [int(c) for c in args.chunks.split(",")] if args.chunks else None
    with h5lazy.open_file(args.file, "a") as f:
        d = h5lazy.define(f, args.name, args.expression, chunks=chunks, overwrite=args.overwrite,
                          fill_value=args.fill_value, attrs=dict(args.attr), attrs_from=args.attrs_from,
                          dims=dict(args.dim))
    print(f"defined {d.name}: {d.dtype} {d.shape}")
    return 0


def _show(args):
    with h5lazy.open_file(args.file, "r") as f:
        print(h5lazy.show(f, args.name, dot=args.dot), end="")
    return 0


def _check(args):
    with h5lazy.open_file(args.file, "r") as f:
        results = h5lazy.check(f)
    for r in results:
        print(f"{'ok' if r.ok else 'BROKEN'} {r.name}: {r.message}")
    return 0 if all(r.ok for r in results) else 1


def _eval(args):
    with h5lazy.open_file(args.file, "r") as f:
        value = h5lazy.evaluate(f, args.expression, selection=args.slice)
    with np.printoptions(threshold=sys.maxsize):
        print(value)
    return 0


def _save(args):
    with h5lazy.open_file(args.file, "a") as f:
        for target in args.targets:
            name, _, where = target.partition("=")
            out_file, _, out_name = where.partition(":")
            path = h5lazy.save(f, name, out_file=out_file or None, out_name=out_name or None,
                               overwrite=args.overwrite)
            print(f"saved {name} -> {out_file or args.file}:{path}")
    return 0


def main(argv=None):
    """Run one subcommand; returns the exit status."""
    parser = argparse.ArgumentParser(prog="h5lazy", description="Lazy array expressions inside HDF5.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("env", help="print the exports that make HDF5 programs read virtual datasets")
    p = sub.add_parser("define", help="define a virtual dataset")
    p.add_argument("file"), p.add_argument("name"), p.add_argument("expression")
    p.add_argument("--chunks"), p.add_argument("--overwrite", action="store_true")
    p.add_argument("--fill-value", type=float, help="write missing values as this number (its _FillValue)")
    p.add_argument("--attr", type=_attr, action="append", default=[], metavar="KEY=VALUE",
                   help="set an attribute (repeatable): an integer, a number, else text")
    p.add_argument("--attrs-from", metavar="OPERAND", help="copy an operand's descriptive attributes")
    p.add_argument("--dim", type=_dim, action="append", default=[], metavar="AXIS=NAME",
                   help="the dimension of an axis (repeatable)")
    p = sub.add_parser("show", help="what a virtual dataset is")
    p.add_argument("file"), p.add_argument("name", nargs="?")
    p.add_argument("--dot", action="store_true")
    p = sub.add_parser("check", help="every virtual dataset of a file evaluates")
    p.add_argument("file")
    p = sub.add_parser("eval", help="evaluate an expression and print it")
    p.add_argument("file"), p.add_argument("expression"), p.add_argument("--slice")
    p = sub.add_parser("save", help="materialise virtual datasets into stored ones")
    p.add_argument("file"), p.add_argument("targets", nargs="+", metavar="NAME[=OUTFILE:OUTNAME]")
    p.add_argument("--overwrite", action="store_true")
    args = parser.parse_args(argv)
    run = {"env": _env, "define": _define, "show": _show, "check": _check, "eval": _eval,
           "save": _save}[args.command]
    try:
        return run(args)
    except (h5lazy.Error, OSError, KeyError) as e:
        print(f"h5lazy {args.command}: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
