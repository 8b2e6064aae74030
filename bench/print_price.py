"""Benchmark: print price recalculation on an option change (issue 9 item 5; seed 003 "Print Configuration
Page": the price breakdown updates as the user changes technology, material, colour, finish, quantity or
size; ``calculatePriceAction``).

Builds a ~100,000-triangle model (a torus, 250 × 200 sections = 100,000 triangles, 160 × 40 × 160 mm
standing up) as a GLB, times :func:`~genpire_app.backend.services.print_pricing.analyse` once cold (first
call in this process) and then ``--analyse-runs`` more times, plus once on the torus with one quad hole
(repaired: ``fill_holes``) and once with a band of triangles removed (refused after the fill and manifold3d
attempts: the slowest path), and times ``--changes`` option changes. The page analyses
the model once when it opens and keeps the small :class:`MeshInfo` in its state, so an option change never
re-reads the mesh: each change here is what the page's handler does, :func:`scale_for` (a typed dimension,
aspect locked or not) then :func:`quote`, on that same ``MeshInfo``. Target: p95 < 50 ms per change.

Run: ``.venv/bin/python -m bench.print_price [--changes 200] [--analyse-runs 5]``. Prints numbers; not a
pass/fail test.
"""

from __future__ import annotations

import argparse
import statistics
import time


def _percentiles(samples_ms: list[float]) -> str:
    ordered = sorted(samples_ms)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return f"p50 {statistics.median(ordered):8.3f} ms   p95 {p95:8.3f} ms   max {ordered[-1]:8.3f} ms"


def main(changes: int, analyse_runs: int) -> None:
    import numpy as np
    import trimesh

    from genpire_app.backend.services.print_pricing import DEFAULT_MODELS, QuoteRefused, analyse, quote, scale_for

    torus = trimesh.creation.torus(major_radius=0.06, minor_radius=0.02, major_sections=250, minor_sections=200)
    glb = trimesh.Scene(torus).export(file_type="glb")

    start = time.perf_counter()
    info = analyse(glb)
    cold_ms = (time.perf_counter() - start) * 1000
    warm = []
    for _ in range(analyse_runs):
        start = time.perf_counter()
        analyse(glb)
        warm.append((time.perf_counter() - start) * 1000)

    open_ms = {}
    for label, keep in (("one quad hole, repaired", lambda m: np.arange(2, len(m.faces))),
                        ("a large hole, refused", lambda m: m.triangles_center[:, 2] < 0.015)):
        holed = torus.copy()
        holed.update_faces(keep(holed))
        data = trimesh.Scene(holed).export(file_type="glb")
        start = time.perf_counter()
        result = analyse(data)
        open_ms[label] = ((time.perf_counter() - start) * 1000, result.watertight, result.repaired)

    heights = (10.0, 20.0, 25.0, 40.0, 60.0, 90.0)
    times, refused, totals = [], 0, []
    for i in range(changes):
        model = DEFAULT_MODELS[i % len(DEFAULT_MODELS)]
        color = model.colors[i % len(model.colors)]
        finish = model.finishes[(i // 2) % len(model.finishes)][0]
        quantity = 1 + (i * 7) % 100
        start = time.perf_counter()
        try:
            if i % 3:  # aspect locked: the user typed a height
                target = scale_for(info.extents_mm, (None, None, heights[i % len(heights)]))
            else:  # unlocked: a width and a depth
                target = scale_for(info.extents_mm, (40.0 + 3 * (i % 50), 30.0 + 2 * (i % 40), None),
                                   lock_aspect=False)
            q = quote(info, model, target_mm=target, color=color, finish=finish, quantity=quantity)
            totals.append(q.total_cents)
        except QuoteRefused:  # too big for this technology's build volume: the page shows the reason
            refused += 1
        times.append((time.perf_counter() - start) * 1000)

    print(f"model: torus, {info.triangles} triangles, {len(glb) / 1024:.0f} KiB GLB, "
          f"extents {' × '.join(f'{v:.1f}' for v in info.extents_mm)} mm, {info.volume_cm3:.1f} cm³, "
          f"watertight {info.watertight}, repaired {info.repaired}")
    print(f"analyse, cold (first call):   {cold_ms:8.1f} ms")
    if warm:
        print(f"analyse, {len(warm)} more runs:         {_percentiles(warm)}")
    for label, (ms, tight, repaired) in open_ms.items():
        print(f"analyse, {label + ':':<21}{ms:8.1f} ms   (watertight {tight}, repaired {repaired})")
    print(f"option change (scale_for + quote), {changes} changes, {refused} refused as too big:")
    print(f"                              {_percentiles(times)}   (target p95 < 50 ms)")
    if totals:
        print(f"quoted totals: {min(totals)} to {max(totals)} cents")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--analyse-runs", type=int, default=5)
    args = parser.parse_args()
    main(args.changes, args.analyse_runs)
