"""Re-import an FBX or glTF with Blender (bpy) and print what Blender sees, as JSON (test helper).

    python bpy_probe.py FILE [FILE ...] [--fps FPS] [--frames 0,10,20]

Run in a subprocess by the FBX tests (bpy is heavy and must not enter the test process); one
line ``PROBE {json}`` per file, each imported into a fresh empty scene.
Frames are clip frame indices (0 = the first frame of the imported action). Positions are in
Blender's world: metres, Z up.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any


def _fbx_header(path: str) -> dict:
    """The FBX file's own axis and unit settings and the armature node's local transform."""
    from io_scene_fbx import parse_fbx

    root, _version = parse_fbx.parse(path)
    out: dict[str, Any] = {}
    for elem in root.elems:
        if elem.id == b"GlobalSettings":
            for sub in elem.elems:
                if sub.id == b"Properties70":
                    for p in sub.elems:
                        key = p.props[0].decode()
                        if key in ("UpAxis", "UpAxisSign", "FrontAxis", "FrontAxisSign", "CoordAxis",
                                   "CoordAxisSign", "UnitScaleFactor", "CustomFrameRate", "TimeMode"):
                            out[key] = p.props[4]
        if elem.id == b"Objects":
            for obj in elem.elems:
                if obj.id == b"Model":
                    for sub in obj.elems:
                        if sub.id == b"Properties70":
                            for p in sub.elems:
                                key = p.props[0].decode()
                                if key.startswith("Lcl "):
                                    out[obj.props[1].split(b"\x00")[0].decode() + " " + key] = list(p.props[4:7])
    return out


def probe(path: str, fps: float | None, frames: list[int]) -> dict:
    import bpy

    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    is_fbx = path.lower().endswith(".fbx")
    if fps and not is_fbx:  # the glTF importer keys by the scene's frame rate; the FBX importer reads the file's
        scene.render.fps = max(1, round(fps))
        scene.render.fps_base = scene.render.fps / fps
    if is_fbx:
        bpy.ops.import_scene.fbx(filepath=path)
    else:
        bpy.ops.import_scene.gltf(filepath=path)
    arms = [o for o in scene.objects if o.type == "ARMATURE"]
    meshes = [o for o in scene.objects if o.type == "MESH"]
    arm = arms[0]
    action = arm.animation_data.action if arm.animation_data else None
    first, last = (int(round(x)) for x in action.frame_range) if action else (0, 0)
    keys = [len(fc.keyframe_points) for fc in action.fcurves] if action else []
    out: dict[str, Any] = {
        "armatures": [o.name for o in arms], "bones": [b.name for b in arm.data.bones],
        "actions": [a.name for a in bpy.data.actions], "action": action.name if action else None,
        "frame_range": [first, last], "keys": [min(keys, default=0), max(keys, default=0)],
        "fps": scene.render.fps / scene.render.fps_base, "joints": {}, "meshes": [],
    }
    for f in frames:
        scene.frame_set(first + f)
        out["joints"][str(f)] = [list(arm.matrix_world @ pb.head) for pb in arm.pose.bones]
    scene.frame_set(first)
    deps = bpy.context.evaluated_depsgraph_get()
    for m in meshes:
        mods = [md for md in m.modifiers if md.type == "ARMATURE"]
        images = []
        for slot in m.material_slots:
            tree = slot.material.node_tree if slot.material and slot.material.use_nodes else None
            for node in tree.nodes if tree else []:
                if node.type == "TEX_IMAGE" and node.image is not None:
                    img = node.image
                    images.append({"name": img.name, "size": list(img.size), "has_data": bool(img.has_data),
                                   "packed": img.packed_file is not None})
        rest = [m.matrix_world @ v.co for v in m.data.vertices]
        posed = m.evaluated_get(deps).to_mesh()
        world = [m.matrix_world @ v.co for v in posed.vertices]
        out["meshes"].append({
            "name": m.name, "vertices": len(m.data.vertices), "groups": [g.name for g in m.vertex_groups],
            "armature": mods[0].object.name if mods and mods[0].object else None, "uv_layers": len(m.data.uv_layers),
            "images": images,
            "rest_min": [min(v[k] for v in rest) for k in range(3)], "rest_max": [max(v[k] for v in rest) for k in range(3)],
            "posed_min": [min(v[k] for v in world) for k in range(3)],
            "posed_max": [max(v[k] for v in world) for k in range(3)],
        })
        m.evaluated_get(deps).to_mesh_clear()
    if is_fbx:
        out["header"] = _fbx_header(path)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="+")
    ap.add_argument("--fps", type=float, default=None)
    ap.add_argument("--frames", default="0")
    args = ap.parse_args()
    for path in args.files:
        result = probe(path, args.fps, [int(f) for f in args.frames.split(",") if f])
        print("PROBE " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)  # skip bpy's interpreter teardown, which can crash after the work is done
