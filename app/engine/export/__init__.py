"""Exports that need an outside tool (FBX through Blender-as-a-module)."""
