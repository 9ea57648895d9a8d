"""Gaussian splats: torch projection and tile rasteriser (CPU), gsplat on CUDA, and 3DGS .ply files."""
from __future__ import annotations

from app.viewers.splats.gaussians import Gaussians, eval_sh, project, quat_multiply, quat_to_rotmat, rotmat_to_quat
from app.viewers.splats.ply import read_ply, write_ply
from app.viewers.splats.raster import SplatImage, cuda_available, rasterize, rasterize_naive, rasterize_projected

__all__ = ["Gaussians", "SplatImage", "cuda_available", "eval_sh", "project", "quat_multiply", "quat_to_rotmat",
           "rasterize", "rasterize_naive", "rasterize_projected", "read_ply", "rotmat_to_quat", "write_ply"]
