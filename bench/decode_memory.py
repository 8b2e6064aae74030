"""Benchmark: memory of validating an image upload against a plain full decode (issue 7 item 3).

A 6300 x 6300 JPEG of low-entropy content (a flat background and two shapes, about 640 KB: well inside
the 5 MB upload limit, 39.7 megapixels once decoded) is the decompression-bomb-like upload. For each
scenario a fresh Python process measures, around the work only:

- ``peak RSS delta``: ``VmHWM`` at the end minus ``VmRSS`` before (MiB; Pillow's pixel buffers live
  outside Python's allocator, so this is the number that matters);
- ``tracemalloc peak``: Python-level allocations only (the bytes objects: input, re-encoded output).

Scenarios, each once and with 6 threads at once (the web worker's ``asyncio.to_thread`` pool):

- ``validate 6300``: ``imaging.validate_upload`` of the 6300 x 6300 JPEG (refused from its header:
  over ``UPLOAD_MAX_PIXELS``, nothing is decoded);
- ``validate 4096``: the largest accepted upload, 4096 x 4096 (draft-mode decode, reduced to 1536 px,
  re-encoded; concurrent decodes share ``decoding.DECODE_BUDGET``);
- ``full decode 6300`` / ``full decode 4096``: ``Image.open(...).load()``, what an unbounded
  validation would cost.

Run: ``.venv/bin/python -m bench.decode_memory``. Prints numbers; not a pass/fail test.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

SCENARIOS = ("validate", "full")
SIDES = (6300, 4096)
THREADS = (1, 6)


def make_jpeg(side: int) -> bytes:
    """A ``side`` x ``side`` JPEG (quality 85) of a flat background and two ellipses."""
    from PIL import Image, ImageDraw

    im = Image.new("RGB", (side, side), (235, 232, 225))
    draw = ImageDraw.Draw(im)
    draw.ellipse((side // 8, side // 6, side // 8 + side // 9, side // 6 + side // 12), fill=(200, 90, 40))
    draw.ellipse((side // 2, side // 2, side // 2 + side // 10, side // 2 + side // 14), fill=(30, 120, 200))
    out = io.BytesIO()
    im.save(out, "JPEG", quality=85)
    return out.getvalue()


def _status_kib(field: str) -> int:
    """A memory field of ``/proc/self/status`` (``VmRSS``, ``VmHWM``), KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} missing from /proc/self/status")


def _work(scenario: str, data: bytes) -> str:
    from PIL import Image

    from genpire_app.backend import imaging

    if scenario == "full":
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            return f"decoded {im.size[0]}x{im.size[1]}"
    try:
        checked = imaging.validate_upload(data, filename="photo.jpg", declared_mime="image/jpeg",
                                          max_bytes=5 * 1024 * 1024, max_pixels=40_000_000, field_label="design file")
    except imaging.ImageValidationError as err:
        return f"refused ({err.code})"
    return f"stored {checked.width}x{checked.height}, {len(checked.data) // 1024} KB"


def child(scenario: str, path: str, threads: int) -> dict[str, object]:
    """Run one scenario in this (fresh) process; returns its measurements."""
    from genpire_app.backend import imaging  # noqa: F401  (imports, Pillow's plugins: part of the baseline)

    data = Path(path).read_bytes()
    _work("validate", make_jpeg(64))  # warm the code paths on a tiny image
    baseline_kib = _status_kib("VmRSS")
    tracemalloc.start()
    barrier = threading.Barrier(threads)
    results: list[str] = []

    def run() -> None:
        barrier.wait()
        results.append(_work(scenario, data))

    started = time.perf_counter()
    workers = [threading.Thread(target=run) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - started
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"rss_delta_mib": (_status_kib("VmHWM") - baseline_kib) / 1024, "traced_peak_mib": traced_peak / 2**20,
            "seconds": elapsed, "result": sorted(set(results))}


def main() -> None:
    """Write the two JPEGs to a temporary folder and print one line per scenario (each in a fresh process)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--child", nargs=3, metavar=("SCENARIO", "FILE", "THREADS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1], int(args.child[2]))))
        return

    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for side in SIDES:
            files[side] = Path(tmp) / f"upload-{side}.jpg"
            files[side].write_bytes(make_jpeg(side))
            print(f"{side} x {side} JPEG: {files[side].stat().st_size / 1024:.0f} KB on disk, "
                  f"{side * side * 3 / 2**20:.0f} MiB as RGB pixels")
        print(f"\n{'scenario':<22}{'threads':>8}{'peak RSS +MiB':>15}{'tracemalloc MiB':>17}{'seconds':>9}  result")
        for scenario in SCENARIOS:
            for side in SIDES:
                for threads in THREADS:
                    out = subprocess.run([sys.executable, "-m", "bench.decode_memory", "--child", scenario,
                                          str(files[side]), str(threads)], capture_output=True, text=True, check=True)
                    m = json.loads(out.stdout.strip().splitlines()[-1])
                    name = f"{'validate_upload' if scenario == 'validate' else 'open().load()'} {side}"
                    print(f"{name:<22}{threads:>8}{m['rss_delta_mib']:>15.1f}{m['traced_peak_mib']:>17.1f}"
                          f"{m['seconds']:>9.2f}  {', '.join(m['result'])}")


if __name__ == "__main__":
    main()
