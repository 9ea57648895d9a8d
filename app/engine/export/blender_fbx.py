"""Blender-side script: convert the studio's .glb into an FBX (run in a subprocess, needs `bpy`).

    python blender_fbx.py IN.glb OUT.fbx --fps FPS --name TAKE

Imports the glTF into an empty Blender scene at the clip's frame rate (Blender's glTF importer
places keys by the scene's fps), renames the armature and its action, and exports FBX:

* axes: Y up, the body faces +Z (Maya, MotionBuilder and Unity conventions; Blender's FBX
  importer converts back to its Z up);
* units: metres declared in the file (``UnitScaleFactor`` 100, "FBX All" scaling), so every node
  keeps a unit scale and the body is life-size in Unity (Convert Units on), Maya and Blender;
* the 22 SMPL-22 joints as bones (no leaf bones), one take baked on every frame (no key
  reduction) at the clip's fps, the skinned mesh with its texture embedded;
* the armature and mesh nodes untransformed: the data are stored Y up (see :func:`_bake_y_up`).

Prints one line ``FBX_RESULT {json}`` with what was written. Imports nothing from the studio.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from typing import Any

ARMATURE_NAME = "SMPL22"
RESULT_PREFIX = "FBX_RESULT "


def _set_fps(scene: Any, fps: float) -> None:
    scene.render.fps = max(1, round(fps))
    scene.render.fps_base = scene.render.fps / fps


def _bake_y_up(arm: Any, meshes: list) -> None:
    """Store the data Y up and counter-rotate the armature, so the FBX's root nodes have identity transforms.

    The FBX exporter multiplies root objects by its axis conversion (Blender Z up -> FBX Y up,
    a -90 degree turn about X); turning the armature's data by that conversion and the object by
    its inverse leaves the scene as it was in Blender and the file's nodes untransformed.
    """
    from mathutils import Matrix

    to_y_up = Matrix.Rotation(-math.pi / 2, 4, "X")
    arm.data.transform(to_y_up)
    for mesh in meshes:
        mesh.data.transform(to_y_up)
    arm.matrix_world = to_y_up.inverted() @ arm.matrix_world


def convert(glb: str, fbx: str, fps: float, take: str) -> dict:
    """Import `glb`, export `fbx`; returns a summary (bones, frames, mesh, texture)."""
    import bpy  # Blender-as-a-module: only in this subprocess, never in the studio

    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    _set_fps(scene, fps)
    bpy.ops.import_scene.gltf(filepath=glb, bone_heuristic="TEMPERANCE")
    arms = [o for o in scene.objects if o.type == "ARMATURE"]
    if len(arms) != 1:
        raise RuntimeError(f"expected one armature in the glTF, found {len(arms)}")
    arm = arms[0]
    arm.name = arm.data.name = ARMATURE_NAME
    meshes = [o for o in scene.objects if o.type == "MESH"]
    for mesh in meshes:
        mesh.name = mesh.data.name = "Body" if len(meshes) == 1 else mesh.name
    action = arm.animation_data.action if arm.animation_data else None
    if action is None:
        raise RuntimeError("the glTF has no animation on its skeleton")
    action.name = take
    first, last = (int(round(x)) for x in action.frame_range)
    scene.frame_start, scene.frame_end = first, last
    scene.name = take
    for other in list(bpy.data.actions):  # one take: drop anything else the importer made
        if other != action:
            bpy.data.actions.remove(other)
    _bake_y_up(arm, meshes)
    bpy.ops.export_scene.fbx(
        filepath=fbx, use_selection=False, object_types={"ARMATURE", "MESH"},
        axis_forward="-Z", axis_up="Y", apply_unit_scale=True, apply_scale_options="FBX_SCALE_ALL",
        global_scale=1.0, bake_space_transform=False,
        add_leaf_bones=False, primary_bone_axis="Y", secondary_bone_axis="X", armature_nodetype="NULL",
        use_armature_deform_only=False, mesh_smooth_type="FACE", use_mesh_modifiers=False,
        bake_anim=True, bake_anim_use_all_bones=True, bake_anim_use_nla_strips=False,
        bake_anim_use_all_actions=False, bake_anim_force_startend_keying=True, bake_anim_step=1.0,
        bake_anim_simplify_factor=0.0, path_mode="COPY", embed_textures=True)
    images = [i for i in bpy.data.images if i.type == "IMAGE"]
    return {"bones": [b.name for b in arm.data.bones], "armature": arm.name, "take": take,
            "frames": last - first + 1, "fps": scene.render.fps / scene.render.fps_base,
            "meshes": [m.name for m in meshes], "textures": [i.name for i in images]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("glb")
    ap.add_argument("fbx")
    ap.add_argument("--fps", type=float, required=True)
    ap.add_argument("--name", default="motion")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    summary = convert(args.glb, args.fbx, args.fps, args.name)
    summary["seconds"] = round(time.perf_counter() - t0, 3)
    print(RESULT_PREFIX + json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)  # skip bpy's interpreter teardown, which can crash after the work is done
