"""Benchmark: offline 3D reconstruction and the mesh conversions (issue 8 items 1 and 9).

The offline renderer draws five 512 px views of a mug (handle: a non-convex silhouette). For each
resolution (voxels along the longest axis) a fresh Python process runs :func:`reconstruct` once and reports
wall time, peak RSS (``ru_maxrss`` after minus before the call, MiB) and triangles. Then the 96-voxel GLB
is converted to every format of ``exports/mesh_formats.FORMATS`` (time, size).

Run: ``.venv/bin/python -m bench.reconstruct3d``. Prints numbers; not a pass/fail test.
"""

from __future__ import annotations

import io
import json
import resource
import subprocess
import sys
import time

RESOLUTIONS = (64, 96, 128)


def _views(size: int = 512) -> dict[str, bytes]:
    from PIL import Image

    from genpire_app.backend.providers.offline.catalogue import CATEGORIES
    from genpire_app.backend.providers.offline.compose import render_view
    from genpire_app.backend.providers.offline.spec import ROLES
    from genpire_app.backend.providers.offline.state import ProductState

    state = ProductState(category="mug", colors=dict(zip(ROLES, CATEGORIES["mug"].colors)))
    out = {}
    for view in ("front", "back", "side", "top", "bottom"):
        buf = io.BytesIO()
        Image.fromarray(render_view(state, view, size)).save(buf, "PNG")
        out[view] = buf.getvalue()
    return out


def _one(resolution: int) -> None:
    """Child process: one reconstruction, JSON on stdout (the GLB is written for the parent at 96)."""
    from genpire_app.backend.providers.offline.reconstruct3d import reconstruct

    views = _views()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    result = reconstruct(views, dimensions_mm=(120.0, 85.0, 95.0), resolution=resolution)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    if resolution == 96:
        with open("/tmp/bench_reconstruct3d_96.glb", "wb") as fh:
            fh.write(result.glb)
    print(json.dumps({"seconds": seconds, "peak_mib": peak / 1024, "triangles": result.triangles,
                      "watertight": result.watertight, "glb_kib": len(result.glb) / 1024}))


def main() -> None:
    """Run every resolution in its own process, then every conversion; print a table."""
    print(f"{'resolution':>10}{'seconds':>9}{'peak RSS +MiB':>15}{'triangles':>11}{'GLB KiB':>9}  watertight")
    for res in RESOLUTIONS:
        out = subprocess.run([sys.executable, "-m", "bench.reconstruct3d", "--one", str(res)],
                             capture_output=True, text=True, check=True).stdout
        row = json.loads(out.strip().splitlines()[-1])
        print(f"{res:>10}{row['seconds']:>9.2f}{row['peak_mib']:>15.1f}{row['triangles']:>11}"
              f"{row['glb_kib']:>9.0f}  {row['watertight']}")
    from genpire_app.backend.exports.mesh_formats import FORMATS, convert

    glb = open("/tmp/bench_reconstruct3d_96.glb", "rb").read()
    print(f"\n{'format':>8}{'seconds':>9}{'KiB':>9}")
    for fmt in FORMATS:
        start = time.perf_counter()
        data, _, _ = convert(glb, fmt)
        print(f"{fmt:>8}{time.perf_counter() - start:>9.2f}{len(data) / 1024:>9.0f}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        _one(int(sys.argv[2]))
    else:
        main()
