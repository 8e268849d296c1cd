"""Summarise valgrind XML reports and fail on errors in h5lazy's code.

An error is h5lazy's when one of its stack frames is in the plugin (the
loader libh5lazy_vol.so, or the connector copy it loads: written to
H5LAZY_CONNECTOR_COPIES as h5lazy-connector-*.so by run_valgrind.sh, else a
memory file /memfd:h5lazy-connector) or the h5lazy command; everything else
is listed as context only."""
import sys
import xml.etree.ElementTree as ET

OURS = ("/libh5lazy_vol.so", "/h5lazy-connector-", "/memfd:h5lazy-connector", "/bin/h5lazy")


def frames(error):
    for frame in error.iter("frame"):
        yield (frame.findtext("obj") or "", frame.findtext("fn") or "?", frame.findtext("file") or "",
               frame.findtext("line") or "")


def main(paths):
    ours, others = [], 0
    for path in paths:
        for error in ET.parse(path).getroot().iter("error"):
            stack = list(frames(error))
            kind = error.findtext("kind")
            what = error.findtext("what") or error.findtext("xwhat/text") or ""
            if any(mark in obj for obj, *_ in stack for mark in OURS):
                ours.append((path, kind, what, stack))
            else:
                others += 1
    print(f"valgrind: {len(paths)} reports, {len(ours)} errors in h5lazy's code, "
          f"{others} elsewhere (not ours: CPython, HDF5)")
    for path, kind, what, stack in ours:
        print(f"\n{path}: {kind}: {what}")
        for obj, fn, file, line in stack[:15]:
            print(f"    {fn}  {file}:{line}  ({obj})")
    return 1 if ours else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
