"""Viewport rendering benchmark: a 13.7k-vertex mesh that changes every frame.

Measures, per frame: vertex deformation is excluded; normals (numpy), then
``MeshRenderer.render`` (buffer upload + draw + RGB readback) at 1280x720 and
512x512, for the default viewport look (body, grid, shadow, contact discs) and
with the skeleton overlay. The mesh is a synthetic subdivided capsule of the
Anny body's size unless ``--anny`` is given and the Anny model is prepared.
Results go to stdout and, unless ``--no-record``, to the "Viewport rendering"
section of docs/benchmarks.md.

    .venv/bin/python bench/bench_viewport.py [--frames 120] [--anny] [--no-record]
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.core.skeleton import SMPL22_PARENTS, SMPL22_REST_POSITIONS  # noqa: E402
from app.viewers.camera import preset  # noqa: E402
from app.viewers.mesh_renderer import MeshRenderer  # noqa: E402
from app.viewers.scene import FrameScene, compute_vertex_normals  # noqa: E402

SECTION = "Viewport rendering"
SIZES = ((1280, 720), (512, 512))


def synthetic_body() -> tuple[np.ndarray, np.ndarray, str]:
    """A capsule 1.7 m tall with about as many vertices/faces as Anny (13,718 / 27,420)."""
    import trimesh

    c = trimesh.creation.capsule(height=1.2, radius=0.25, count=[118, 118])
    v = np.asarray(c.vertices, np.float32)[:, [0, 2, 1]]
    v[:, 1] += 0.85
    f = np.ascontiguousarray(np.asarray(c.faces)[:, [0, 2, 1]])
    return v, f, f"synthetic capsule ({len(v):,} vertices, {len(f):,} faces)"


def anny_body() -> tuple[np.ndarray, np.ndarray, str] | None:
    """Anny's rest mesh in world axes (Y up, facing +Z), or None when Anny is not prepared."""
    cache = Path(os.environ.get("ANNY_CACHE_DIR", Path.home() / ".cache" / "anny"))
    if not cache.is_dir() and not (Path.home() / ".cache" / "action-studio" / "anny").is_dir():
        return None
    try:
        import anny
        import torch

        with torch.no_grad():
            model = anny.Anny()
            v = model.forward()["vertices"][0].numpy().astype(np.float32)
            f = model.get_triangular_faces().numpy().astype(np.int64)
    except Exception as exc:  # noqa: BLE001 - optional
        print(f"anny unavailable: {exc}")
        return None
    v = np.stack([v[:, 0], v[:, 2], -v[:, 1]], 1)
    v[:, 1] -= v[:, 1].min()
    return v, f, f"Anny rest mesh ({len(v):,} vertices, {len(f):,} faces)"


def deform(v0: np.ndarray, k: int) -> np.ndarray:
    """A cheap per-frame wobble so every frame uploads new positions and normals."""
    return v0 + 0.02 * np.sin(0.3 * k + 5.0 * v0[:, 1:2]).astype(np.float32)


def bench_size(renderer: MeshRenderer, v0, f, frames: int, skeleton: bool) -> dict[str, float]:
    joints = SMPL22_REST_POSITIONS.copy()
    joints[:, 1] -= joints[:, 1].min() - 0.02
    cam = preset("front", v0, aspect=renderer.width / renderer.height).to_camera()
    contacts = np.array([True, True, False, True])
    extra = dict(joints=joints, parents=SMPL22_PARENTS) if skeleton else dict(joints=joints)
    normals_t, render_t = [], []
    for k in range(frames + 5):
        v = deform(v0, k)
        t0 = time.perf_counter()
        n = compute_vertex_normals(v, f)
        t1 = time.perf_counter()
        renderer.render(FrameScene(vertices=v, faces=f, normals=n, contacts=contacts, **extra), cam)
        t2 = time.perf_counter()
        if k >= 5:  # warm-up: first upload, shader compile
            normals_t.append(t1 - t0)
            render_t.append(t2 - t1)
    total = np.asarray(normals_t) + np.asarray(render_t)
    return {"normals_ms": 1e3 * float(np.median(normals_t)), "render_ms": 1e3 * float(np.median(render_t)),
            "total_ms": 1e3 * float(np.median(total)), "fps": 1.0 / float(np.median(total)),
            "fps_mean": len(total) / float(total.sum())}


def bench_stock_pyrender(v0, f, width: int, height: int, frames: int) -> float:
    """Median ms/frame of the naive path: new trimesh + pyrender.Mesh per frame, stock OffscreenRenderer."""
    import pyrender
    import trimesh

    cam = preset("front", v0, aspect=width / height).to_camera()
    scene = pyrender.Scene(bg_color=[0.3, 0.33, 0.38, 1.0], ambient_light=[0.2, 0.2, 0.2])
    scene.add(pyrender.PerspectiveCamera(yfov=np.radians(cam.fov_y_deg)), pose=cam.camera_to_world())
    scene.add(pyrender.DirectionalLight(intensity=3.0), pose=cam.camera_to_world())
    renderer = pyrender.OffscreenRenderer(width, height)
    node, times = None, []
    for k in range(frames + 2):
        t0 = time.perf_counter()
        if node is not None:
            scene.remove_node(node)
        mesh = pyrender.Mesh.from_trimesh(trimesh.Trimesh(deform(v0, k), f, process=False), smooth=True)
        node = scene.add(mesh)
        renderer.render(scene)
        if k >= 2:
            times.append(time.perf_counter() - t0)
    renderer.delete()
    return 1e3 * float(np.median(times))


def machine() -> str:
    cpu = platform.processor() or "cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPU cores ({cpu})"


def record(text: str) -> None:
    path = ROOT / "docs" / "benchmarks.md"
    path.parent.mkdir(exist_ok=True)
    doc = path.read_text() if path.exists() else "# Benchmarks\n"
    block = f"## {SECTION}\n\n{text.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(doc):
        doc = pattern.sub(lambda _: block + "\n", doc, count=1).rstrip() + "\n"
    else:
        doc = doc.rstrip() + "\n\n" + block
    path.write_text(doc)
    print(f"recorded in {path}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=120)
    ap.add_argument("--anny", action="store_true", help="also time the real Anny mesh (needs torch + anny)")
    ap.add_argument("--no-record", action="store_true")
    ap.add_argument("--also-osmesa", action="store_true",
                    help="also time the synthetic mesh under OSMesa (in a subprocess: one GL platform per process)")
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # subprocess mode: rows as JSON
    args = ap.parse_args()

    meshes = [synthetic_body()]
    if args.anny:
        body = anny_body()
        if body is not None:
            meshes.append(body)
    renderer = MeshRenderer(*SIZES[0])
    info = renderer.info
    rows = []
    for v0, f, label in meshes:
        for w, h in SIZES:
            renderer.resize(w, h)
            for skeleton in (False, True):
                r = bench_size(renderer, v0, f, args.frames, skeleton)
                scene = "body+grid+shadow+contacts" + (" +skeleton" if skeleton else "")
                rows.append((info["platform"], label, f"{w}x{h}", scene, r))
                print(f"{label:45s} {w}x{h:<5d} {scene:36s} normals {r['normals_ms']:5.2f} ms  "
                      f"render+readback {r['render_ms']:6.2f} ms  total {r['total_ms']:6.2f} ms  "
                      f"{r['fps']:6.1f} fps (mean {r['fps_mean']:.1f})")
    renderer.close()
    if args.json:
        print("JSON" + json.dumps(rows))
        return
    if args.also_osmesa and info["platform"] != "osmesa":
        env = dict(os.environ, ACTION_STUDIO_GL="osmesa", PYOPENGL_PLATFORM="osmesa")
        out = subprocess.run([sys.executable, __file__, "--frames", str(args.frames), "--json"], env=env,
                             capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            if line.startswith("JSON"):
                rows += [tuple(row) for row in json.loads(line[4:])]
                for _, label, size, scene, r in rows[-4:]:
                    print(f"osmesa {label:38s} {size:9s} {scene:36s} total {r['total_ms']:6.2f} ms  "
                          f"{r['fps']:6.1f} fps")
    stock = {size: bench_stock_pyrender(meshes[0][0], meshes[0][1], *size, max(10, args.frames // 6))
             for size in SIZES}
    for (w, h), ms in stock.items():
        print(f"stock pyrender (new Mesh per frame, 4x MSAA, PBR) {w}x{h}: {ms:6.2f} ms  {1e3 / ms:5.1f} fps")

    lines = [
        f"`bench/bench_viewport.py`, {datetime.date.today().isoformat()}: {machine()}, "
        f"GL platform **{info['platform']}** (EGL tried first, OSMesa fallback; rows say which), "
        f"{info['renderer']}, OpenGL {info['version']}. "
        f"Median over {args.frames} frames; every frame deforms the mesh, recomputes normals (numpy), "
        "re-uploads positions+normals in place, draws and reads back RGB. "
        "Other processes shared the 2 cores, so numbers are indicative.",
        "",
        "| GL | mesh | size | scene | normals ms | render+readback ms | total ms | fps (median) | fps (mean) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for plat, label, size, scene, r in rows:
        lines.append(f"| {plat} | {label} | {size} | {scene} | {r['normals_ms']:.2f} | {r['render_ms']:.2f} | "
                     f"{r['total_ms']:.2f} | {r['fps']:.0f} | {r['fps_mean']:.0f} |")
    lines += [
        "",
        "For comparison, the naive pyrender path on the synthetic mesh (new trimesh + pyrender.Mesh per "
        "frame, stock OffscreenRenderer: 4x MSAA, per-pixel PBR, colour+depth readback): "
        + ", ".join(f"{w}x{h} {ms:.1f} ms ({1e3 / ms:.0f} fps)" for (w, h), ms in stock.items()) + ".",
        "",
        "What made it fast: a single-sample "
        "framebuffer instead of pyrender's 4x MSAA + blit, no depth readback unless asked, vertex buffers "
        "updated with glBufferSubData instead of new pyrender meshes, and a per-vertex-lit studio shader "
        "instead of pyrender's per-pixel PBR (llvmpipe shades the dense body's tiny triangles in 4x4 blocks, "
        "so fragment work dominated).",
    ]
    if not args.no_record:
        record("\n".join(lines))


if __name__ == "__main__":
    main()
