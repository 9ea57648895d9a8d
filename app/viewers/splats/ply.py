"""3D Gaussian Splatting .ply files, laid out as the original 3DGS code writes them.

Binary little-endian, one ``vertex`` element with float properties
``x y z nx ny nz f_dc_0..2 f_rest_0..44 opacity scale_0..2 rot_0..3``:
``f_dc`` / ``f_rest`` are SH coefficients (``f_rest`` channel-major, i.e. the
[N, 15, 3] rest coefficients transposed to [N, 3, 15] and flattened; padded
with zeros to degree 3), ``opacity`` is a logit, ``scale_*`` are natural logs
and ``rot_*`` a (w, x, y, z) quaternion. Written atomically (temp file + rename).
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path

import numpy as np
import torch

from app.core.errors import InvalidInputError
from app.viewers.splats.gaussians import Gaussians

REST_COEFFS = 15  # degree 3


def _properties() -> list[str]:
    return (["x", "y", "z", "nx", "ny", "nz", "f_dc_0", "f_dc_1", "f_dc_2"]
            + [f"f_rest_{i}" for i in range(3 * REST_COEFFS)]
            + ["opacity", "scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3"])


def gaussians_to_array(g: Gaussians) -> np.ndarray:
    """[N, 62] float32 rows in the property order of :func:`_properties`."""
    g = g.detach().to("cpu")
    n = len(g)
    sh = g.sh.float().numpy()
    rest = np.zeros((n, REST_COEFFS, 3), np.float32)
    k = min(REST_COEFFS, sh.shape[1] - 1)
    rest[:, :k] = sh[:, 1:1 + k]
    op = np.clip(g.opacities.float().numpy(), 1e-6, 1 - 1e-6)
    cols = [g.means.float().numpy(), np.zeros((n, 3), np.float32), sh[:, 0],
            rest.transpose(0, 2, 1).reshape(n, -1), np.log(op / (1 - op))[:, None],
            np.log(np.clip(g.scales.float().numpy(), 1e-12, None)), g.quats.float().numpy()]
    return np.concatenate(cols, axis=1).astype(np.float32)


def write_ply(g: Gaussians, path: str | Path) -> Path:
    """Write ``g`` as a standard 3DGS .ply (atomically); returns the path."""
    path = Path(path)
    if not path.parent.is_dir():
        raise InvalidInputError(f"{path.name}: folder {path.parent} does not exist")
    data = gaussians_to_array(g)
    header = "ply\nformat binary_little_endian 1.0\n" + f"element vertex {len(data)}\n"
    header += "".join(f"property float {name}\n" for name in _properties()) + "end_header\n"
    tmp = path.with_name(f".{path.stem}.{uuid.uuid4().hex[:8]}.partial.ply")
    try:
        with open(tmp, "wb") as f:
            f.write(header.encode("ascii"))
            f.write(data.astype("<f4").tobytes())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def read_ply(path: str | Path) -> Gaussians:
    """Read a binary little-endian 3DGS .ply (float properties; any SH degree up to 3)."""
    path = Path(path)
    with open(path, "rb") as f:
        raw = f.read()
    end = raw.find(b"end_header\n")
    if not raw.startswith(b"ply") or end < 0:
        raise InvalidInputError(f"{path.name}: not a PLY file")
    lines = raw[:end].decode("ascii", "replace").splitlines()
    if "format binary_little_endian 1.0" not in lines:
        raise InvalidInputError(f"{path.name}: only binary little-endian PLY is supported")
    n, names = 0, []
    for line in lines:
        parts = line.split()
        if parts[:2] == ["element", "vertex"]:
            n = int(parts[2])
        elif parts[:1] == ["property"]:
            if parts[1] != "float":
                raise InvalidInputError(f"{path.name}: property {parts[-1]} is {parts[1]}, expected float")
            names.append(parts[-1])
    data = np.frombuffer(raw, dtype="<f4", count=n * len(names), offset=end + len(b"end_header\n"))
    data = data.reshape(n, len(names))
    col = {name: i for i, name in enumerate(names)}

    def get(*keys: str) -> np.ndarray:
        try:
            return data[:, [col[k] for k in keys]].astype(np.float32)
        except KeyError as exc:
            raise InvalidInputError(f"{path.name}: missing property {exc.args[0]}") from None

    rest_names = sorted((k for k in col if k.startswith("f_rest_")), key=lambda k: int(k.split("_")[-1]))
    m = len(rest_names) // 3
    rest = get(*rest_names).reshape(n, 3, m).transpose(0, 2, 1) if m else np.zeros((n, 0, 3), np.float32)
    degree = 0
    for d in (3, 2, 1):  # the lowest degree that keeps every non-zero coefficient
        if (d + 1) ** 2 - 1 <= m and rest[:, d * d - 1:].any():
            degree = d
            break
    k = (degree + 1) ** 2
    sh = np.zeros((n, k, 3), np.float32)
    sh[:, 0] = get("f_dc_0", "f_dc_1", "f_dc_2")
    sh[:, 1:k] = rest[:, :k - 1]
    op = 1.0 / (1.0 + np.exp(-get("opacity")[:, 0]))
    t = torch.from_numpy
    return Gaussians(t(get("x", "y", "z")), t(get("rot_0", "rot_1", "rot_2", "rot_3")),
                     t(np.exp(get("scale_0", "scale_1", "scale_2"))), t(op.astype(np.float32)), t(sh))
