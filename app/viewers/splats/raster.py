"""Differentiable Gaussian-splat rasterisation in plain torch (tiles), a naive reference, and gsplat on CUDA.

Compositing follows 3DGS / gsplat exactly: Gaussians front to back, per pixel
``alpha = min(0.999, o * exp(-sigma))`` with ``sigma = 0.5 (a dx^2 + c dy^2) + b dx dy``,
contributions with ``alpha < 1/255`` skipped, and a pixel stops before the
Gaussian that would bring its transmittance to 1e-4 or below.

The tiled path (:func:`rasterize`) sorts once by depth, bins the Gaussians'
bounding boxes into 8x8 tiles with vectorised ops (a stable sort by tile keeps the depth
order), groups the non-empty tiles into buckets of similar list length (longest first),
pads each tile's list to the bucket's K and composites it in chunks of ``chunk`` entries
with one batched matmul for the exponent and one ``cumprod``; tiles drop out between
chunks once their list is exhausted or all their pixels are saturated (early termination).
Without autograd a leaner compositor runs entirely in place (log-alpha from the matmul,
``clamp``/``threshold``/``exp``, weights as differences of the running transmittance,
masking only for pixels that stop inside the chunk); with autograd the same maths runs
out of place. On CPU, ``index_select``/``index_copy_`` replace advanced indexing and
``index_add_``, which are much slower on small tensors (and stall with 2 threads on a busy machine).
:func:`rasterize_naive` evaluates every Gaussian at every pixel (the reference).
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import torch

from app.viewers.splats.gaussians import ALPHA_THRESHOLD, Gaussians, Projected, project

log = logging.getLogger(__name__)

TILE = 8
_DEFAULT_TILE = TILE
T_MIN = 1e-4
ALPHA_MAX = 0.999
LOG_ALPHA_MAX = math.log(ALPHA_MAX)
LOG_ALPHA_MIN = math.log(ALPHA_THRESHOLD)


@dataclass
class SplatImage:
    rgb: torch.Tensor    # [H, W, 3]
    depth: torch.Tensor  # [H, W] expected depth (metres), 0 where alpha == 0
    alpha: torch.Tensor  # [H, W]


def _as_tensor(x, like: torch.Tensor) -> torch.Tensor:
    return torch.as_tensor(x, dtype=like.dtype, device=like.device)


def _composite_chunk(alpha: torch.Tensor, colors: torch.Tensor, depths: torch.Tensor, t: torch.Tensor,
                     done: torch.Tensor):
    """Composite one chunk [..., K] front to back after transmittance ``t`` [...] (``done``: pixel stopped).

    Returns (rgb [..., 3], depth-weighted sum [...], transmittance after [...], stopped now [...]).
    """
    one_minus = 1.0 - alpha
    t_incl = t[..., None] * torch.cumprod(one_minus, dim=-1)
    valid = (t_incl > T_MIN) & ~done[..., None]
    w = torch.where(valid, alpha * (t_incl / one_minus), torch.zeros_like(alpha))  # alpha <= 0.999
    rgb = (w[..., None] * colors).sum(-2)
    dsum = (w * depths).sum(-1)
    t_out = t * torch.where(valid, one_minus, torch.ones_like(one_minus)).prod(-1)
    return rgb, dsum, t_out, (~valid).any(-1)


def _alpha(px: torch.Tensor, py: torch.Tensor, mx, my, ca, cb, cc, op) -> torch.Tensor:
    dx = px - mx
    dy = py - my
    sigma = 0.5 * (ca * dx * dx + cc * dy * dy) + cb * dx * dy
    a = torch.clamp(op * torch.exp(-sigma), max=ALPHA_MAX)
    return torch.where((a >= ALPHA_THRESHOLD) & (sigma >= 0), a, torch.zeros_like(a))


def _bin(p: Projected, width: int, height: int, TILE: int = TILE):
    """Tile-major pairs: (gaussian index per pair, tile id per pair, tile counts), depth order kept per tile."""
    ntx, nty = (width + TILE - 1) // TILE, (height + TILE - 1) // TILE
    with torch.no_grad():
        m = p.means2d.detach()
        x0 = torch.clamp(torch.floor((m[:, 0] - p.radii[:, 0] + 0.5) / TILE), 0, ntx - 1).long()
        x1 = torch.clamp(torch.floor((m[:, 0] + p.radii[:, 0] + 0.5) / TILE), 0, ntx - 1).long()
        y0 = torch.clamp(torch.floor((m[:, 1] - p.radii[:, 1] + 0.5) / TILE), 0, nty - 1).long()
        y1 = torch.clamp(torch.floor((m[:, 1] + p.radii[:, 1] + 0.5) / TILE), 0, nty - 1).long()
        wx = x1 - x0 + 1
        counts = wx * (y1 - y0 + 1)
        gid = torch.repeat_interleave(torch.arange(len(counts), device=m.device), counts)
        start = torch.cumsum(counts, 0) - counts
        local = torch.arange(len(gid), device=m.device) - start[gid]
        tile = (y0[gid] + local // wx[gid]) * ntx + x0[gid] + local % wx[gid]
        tile, order = torch.sort(tile, stable=True)
        gid = gid[order]
        tile_counts = torch.bincount(tile, minlength=ntx * nty)
    return gid, tile, tile_counts, ntx, nty


def _quadratic_coefficients(e: torch.Tensor, ox: torch.Tensor, oy: torch.Tensor) -> torch.Tensor:
    """Per (tile, Gaussian) coefficients [B, K, 6] with ``sigma - log(o) = feat(px, py) . coef``.

    ``e`` [B, K, 6+] holds (mx, my, a, b, c, opacity) per entry, ``ox, oy`` [B, 1] the tile origins;
    pixel features are (px^2, px py, py^2, px, py, 1) in tile-local pixels, which keeps float32 exact
    enough (terms stay below ~1e3).
    """
    mx, my = e[..., 0] - ox, e[..., 1] - oy
    ca, cb, cc = e[..., 2], e[..., 3], e[..., 4]
    return torch.stack([0.5 * ca, cb, 0.5 * cc, -(ca * mx + cb * my), -(cb * mx + cc * my),
                        0.5 * ca * mx * mx + cb * mx * my + 0.5 * cc * my * my
                        - torch.log(e[..., 5].clamp_min(1e-10))], -1)


def rasterize_projected(p: Projected, width: int, height: int, background: torch.Tensor,
                        chunk: int = 32, tile: int | None = None) -> SplatImage:
    """Tile rasteriser for already projected Gaussians (see the module notes).

    ``tile`` defaults to :data:`TILE`; without autograd (rendering for display or export) the
    in-place compositor :func:`_composite_bucket_fast` is used, with autograd (fitting) the
    out-of-place :func:`_composite_bucket`.
    """
    dev, dt = p.means2d.device, p.means2d.dtype
    grad = torch.is_grad_enabled() and any(t.requires_grad for t in (p.means2d, p.conics, p.opacities, p.colors))
    background = background.to(dev, dt)
    TILE = tile or _DEFAULT_TILE  # noqa: N806
    gid, tile_of, tile_counts, ntx, nty = _bin(p, width, height, TILE)
    ntiles, npix = ntx * nty, TILE * TILE
    pix = torch.arange(npix, device=dev)
    feat_x, feat_y = (pix % TILE).to(dt), (pix // TILE).to(dt)
    feat = torch.stack([feat_x * feat_x, feat_x * feat_y, feat_y * feat_y, feat_x, feat_y,
                        torch.ones_like(feat_x)], -1)  # [T*T, 6]
    tiles, rgbs = [], []
    if len(gid):
        m = len(p.depths)
        attrs = torch.cat([p.means2d, p.conics, p.opacities[:, None], p.depths[:, None], p.colors], 1)
        attrs = torch.cat([attrs, torch.zeros(1, attrs.shape[1], device=dev, dtype=dt)], 0)  # padding entry
        with torch.no_grad():
            tile_start = torch.cumsum(tile_counts, 0) - tile_counts
            slot = torch.arange(len(gid), device=dev) - tile_start[tile_of]
            nonempty = torch.nonzero(tile_counts).squeeze(1)
            cnt = tile_counts[nonempty]
            # longest lists first, so "tiles with entries left" is always a prefix of a bucket
            order = torch.argsort(cnt, descending=True, stable=True)
            nonempty, cnt = nonempty[order], cnt[order]
            bucket_of = torch.clamp(torch.ceil(torch.log2(cnt.float().clamp_min(chunk) / chunk)), min=0).long()
            lut = torch.full((ntiles,), -1, dtype=torch.long, device=dev)
        for b in torch.unique(bucket_of).tolist():
            with torch.no_grad():
                tsel = nonempty[bucket_of == b]
                counts = tile_counts[tsel]
                k = int(counts[0])
                lut[tsel] = torch.arange(len(tsel), device=dev)
                row = lut[tile_of]
                in_b = row >= 0
                table = torch.full((len(tsel), k), m, dtype=torch.long, device=dev)
                table[row[in_b], slot[in_b]] = gid[in_b]
                lut[tsel] = -1
                ox = ((tsel % ntx) * TILE).to(dt)[:, None]
                oy = ((tsel // ntx) * TILE).to(dt)[:, None]
            e = attrs.index_select(0, table.reshape(-1)).reshape(*table.shape, attrs.shape[1])  # [B, K, 10]
            coef = _quadratic_coefficients(e, ox, oy).transpose(1, 2)  # [B, 6, K]
            ones = torch.ones(e.shape[0], e.shape[1], 1, device=dev, dtype=dt)
            values = torch.cat([e[..., 6:10], ones], -1)  # depth, r, g, b, 1 -> [B, K, 5]
            if grad:
                acc = _composite_bucket(feat, coef, values, chunk, counts)
            else:
                acc = _composite_bucket_fast(feat, coef.neg_(), values, chunk, counts)
            tiles.append(tsel)
            rgbs.append(acc)
    acc_t = torch.zeros(ntiles, npix, 5, device=dev, dtype=dt)
    if tiles:
        acc_t = acc_t.index_copy(0, torch.cat(tiles), torch.cat(rgbs))
    alpha_t = acc_t[..., 4]
    out_rgb = acc_t[..., 1:4] + (1.0 - alpha_t)[..., None] * background
    return SplatImage(_untile(out_rgb, ntx, nty, width, height, TILE),
                      _untile(_depth(acc_t[..., 0], alpha_t), ntx, nty, width, height, TILE),
                      _untile(alpha_t, ntx, nty, width, height, TILE))


def _next_rows(rows: torch.Tensor | None, counts: torch.Tensor, c0: int, n_b: int) -> torch.Tensor | None:
    """Tiles (sorted by list length, longest first) that still have entries at ``c0``; None = all."""
    n_left = int((counts > c0).sum())
    if rows is None:
        return None if n_left == n_b else torch.arange(n_left, device=counts.device)
    return rows[rows < n_left]


def _composite_bucket_fast(feat: torch.Tensor, log_coef: torch.Tensor, values: torch.Tensor, chunk: int,
                           counts: torch.Tensor) -> torch.Tensor:
    """No-autograd compositor: ``log_coef`` [B, 6, K] gives log(alpha) = feat . coef; -> sums [B, P, 5].

    In-place ops only; with ``u`` the running product of (1 - alpha) inside a chunk, a Gaussian's
    weight is ``t (u_prev - u)`` and it counts while ``t u > T_MIN`` (the 3DGS stopping rule).
    """
    n_b, _, k = log_coef.shape
    dev, dt = log_coef.device, log_coef.dtype
    npx = feat.shape[0]
    acc = torch.zeros(n_b, npx, values.shape[-1], device=dev, dtype=dt)
    t = torch.ones(n_b, npx, device=dev, dtype=dt)
    rows: torch.Tensor | None = None
    for c0 in range(0, k, chunk):
        rows = _next_rows(rows, counts, c0, n_b)
        if rows is not None and len(rows) == 0:
            break
        cf, val = log_coef[:, :, c0:c0 + chunk], values[:, c0:c0 + chunk]
        if rows is not None:  # index_select: advanced indexing is far slower on small CPU tensors
            cf, val = cf.index_select(0, rows), val.index_select(0, rows)
        t_r = t if rows is None else t.index_select(0, rows)
        u = torch.matmul(feat, cf)  # [R, P, C] log(alpha)
        u.clamp_(max=LOG_ALPHA_MAX)
        torch.nn.functional.threshold_(u, LOG_ALPHA_MIN, float("-inf"))
        u.exp_().neg_().add_(1.0).cumprod_(-1)  # running product of (1 - alpha)
        w = torch.empty_like(u)
        w[..., :1] = 1.0 - u[..., :1]
        torch.sub(u[..., :-1], u[..., 1:], out=w[..., 1:])
        thr = T_MIN / t_r  # inf where the pixel already stopped (its weights are scaled by t = 0)
        last = u[..., -1]
        newly = (last <= thr) & (t_r > 0)
        if bool(newly.any()):  # pixels stopping inside this chunk: zero their weights from the stop on
            idx = torch.nonzero(newly.reshape(-1)).squeeze(1)
            wf, uf = w.view(-1, w.shape[-1]), u.view(-1, u.shape[-1])
            ws = wf.index_select(0, idx)
            ws.masked_fill_(uf.index_select(0, idx) <= thr.reshape(-1)[idx, None], 0.0)
            wf.index_copy_(0, idx, ws)
        contrib = torch.matmul(w, val).mul_(t_r[..., None])  # [R, P, 5]
        t_new = torch.where(last > thr, t_r * last, 0.0)
        if rows is None:
            acc.add_(contrib)
            t = t_new
            alive = (t_new > 0).any(-1)
            base = None if bool(alive.all()) else torch.arange(n_b, device=dev)
        else:
            acc.index_copy_(0, rows, acc.index_select(0, rows).add_(contrib))  # index_add_ is slow on CPU
            t.index_copy_(0, rows, t_new)
            alive = (t_new > 0).any(-1)
            base = rows
        if base is not None:  # early termination: drop tiles whose pixels all stopped
            rows = base[alive]
            if len(rows) == 0:
                break
    return acc


def _composite_bucket(feat: torch.Tensor, coef: torch.Tensor, values: torch.Tensor, chunk: int,
                      counts: torch.Tensor) -> torch.Tensor:
    """Differentiable compositor of B tiles' padded lists: ``coef`` [B, 6, K], ``values`` [B, K, 5] -> [B, P, 5].

    The last value channel is 1, so its sum is the pixel's alpha (sum of weights); the carried
    transmittance is zeroed once a pixel stops (the 1e-4 rule); tiles drop out once their lists
    are exhausted or all their pixels stopped.
    """
    n_b, _, k = coef.shape
    dev, dt = coef.device, coef.dtype
    acc = torch.zeros(n_b, feat.shape[0], values.shape[-1], device=dev, dtype=dt)
    t = torch.ones(n_b, feat.shape[0], device=dev, dtype=dt)
    rows: torch.Tensor | None = None
    for c0 in range(0, k, chunk):
        with torch.no_grad():
            rows = _next_rows(rows, counts, c0, n_b)
        if rows is not None and len(rows) == 0:
            break
        cf = coef[:, :, c0:c0 + chunk] if rows is None else coef[rows, :, c0:c0 + chunk]
        val = values[:, c0:c0 + chunk] if rows is None else values[rows, c0:c0 + chunk]
        t_r = t if rows is None else t[rows]
        sigma = torch.matmul(feat, cf)  # [B', P, C]: sigma - log(opacity)
        alpha = torch.exp(-sigma)
        alpha = torch.where(alpha >= ALPHA_THRESHOLD, torch.clamp(alpha, max=ALPHA_MAX), 0.0)
        one_minus = 1.0 - alpha
        t_incl = t_r[..., None] * torch.cumprod(one_minus, dim=-1)
        w = torch.where(t_incl > T_MIN, alpha * (t_incl / one_minus), 0.0)
        contrib = torch.matmul(w, val)  # [B', P, 5]
        last = t_incl[..., -1]
        t_new = torch.where(last > T_MIN, last, 0.0)
        if rows is None:
            acc = acc + contrib
            t = t_new
        else:
            acc = acc.index_add(0, rows, contrib)
            t = t.index_copy(0, rows, t_new)
        with torch.no_grad():  # early termination: drop tiles whose pixels all stopped
            alive = (t_new > 0).any(-1)
            if not bool(alive.all()):
                base = torch.arange(n_b, device=dev) if rows is None else rows
                rows = base[alive]
                if len(rows) == 0:
                    break
    return acc


def _depth(dsum: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """Expected depth sum(w z) / sum(w); 0 where nothing was drawn."""
    return torch.where(alpha > 1e-6, dsum / alpha.clamp_min(1e-6), torch.zeros_like(dsum))


def _untile(x: torch.Tensor, ntx: int, nty: int, width: int, height: int, TILE: int = TILE) -> torch.Tensor:
    """[ntiles, 256, ...] -> [H, W, ...]."""
    rest = x.shape[2:]
    x = x.reshape(nty, ntx, TILE, TILE, *rest).transpose(1, 2).reshape(nty * TILE, ntx * TILE, *rest)
    return x[:height, :width]


def rasterize_naive(p: Projected, width: int, height: int, background: torch.Tensor,
                    pixel_chunk: int = 4096) -> SplatImage:
    """Reference: every projected Gaussian evaluated at every pixel, composited in depth order."""
    dev, dt = p.means2d.device, p.means2d.dtype
    background = background.to(dev, dt)
    n = height * width
    ys, xs = torch.meshgrid(torch.arange(height, device=dev, dtype=dt), torch.arange(width, device=dev, dtype=dt),
                            indexing="ij")
    xs, ys = xs.reshape(-1), ys.reshape(-1)
    rgb, dep, alp = [], [], []
    mx, my = p.means2d[:, 0], p.means2d[:, 1]
    ca, cb, cc = p.conics.unbind(-1)
    for s in range(0, n, pixel_chunk):
        px, py = xs[s:s + pixel_chunk, None], ys[s:s + pixel_chunk, None]
        alpha = _alpha(px, py, mx, my, ca, cb, cc, p.opacities)
        ones = torch.ones(len(px), device=dev, dtype=dt)
        c_rgb, c_d, c_t, _ = _composite_chunk(alpha, p.colors[None], p.depths[None], ones,
                                              torch.zeros(len(px), dtype=torch.bool, device=dev))
        rgb.append(c_rgb + c_t[:, None] * background)
        alp.append(1.0 - c_t)
        dep.append(_depth(c_d, 1.0 - c_t))
    return SplatImage(torch.cat(rgb).reshape(height, width, 3), torch.cat(dep).reshape(height, width),
                      torch.cat(alp).reshape(height, width))


def _cuda_rasterize(g: Gaussians, viewmat: torch.Tensor, K: torch.Tensor, width: int, height: int,
                    background: torch.Tensor) -> SplatImage:
    """gsplat.rasterization (CUDA); K is shifted by half a pixel to gsplat's pixel-edge convention."""
    from gsplat import rasterization

    dev = g.means.device
    k = K.to(dev, torch.float32).clone()
    k[0, 2] += 0.5
    k[1, 2] += 0.5
    colors, degree = (g.sh, g.sh_degree)
    renders, alphas, _ = rasterization(
        g.means, torch.nn.functional.normalize(g.quats, dim=-1), g.scales, g.opacities, colors,
        viewmat.to(dev, torch.float32)[None], k[None], width, height, sh_degree=degree, render_mode="RGB+ED",
        backgrounds=background.to(dev, torch.float32)[None], eps2d=0.3, near_plane=0.01, packed=False)
    out = renders[0]
    return SplatImage(out[..., :3], out[..., 3] * (alphas[0, ..., 0] > 0), alphas[0, ..., 0])


def cuda_available() -> bool:
    if not torch.cuda.is_available():
        return False
    try:
        import gsplat  # noqa: F401
    except Exception:  # noqa: BLE001 - any import failure means no CUDA path
        return False
    return True


def rasterize(g: Gaussians, viewmat, K, width: int, height: int, background=(0.0, 0.0, 0.0),
              backend: str = "auto", chunk: int = 32, tile: int | None = None) -> SplatImage:
    """Render Gaussians from one camera: backend ``auto`` (gsplat on CUDA, else torch tiles), ``torch``,
    ``naive`` (reference) or ``cuda``. ``viewmat``: 4x4 world -> OpenCV camera; ``K``: 3x3 intrinsics."""
    if not (1 <= width <= 8192 and 1 <= height <= 8192):
        raise ValueError(f"splat render size must be 1..8192 pixels, got {width}x{height}")
    viewmat = _as_tensor(viewmat, g.means)
    K = _as_tensor(K, g.means)
    bg = _as_tensor(background, g.means).reshape(3)
    if backend == "cuda" or (backend == "auto" and g.means.is_cuda and cuda_available()):
        return _cuda_rasterize(g, viewmat, K, width, height, bg)
    p = project(g, viewmat, K, width, height)
    if backend == "naive":
        return rasterize_naive(p, width, height, bg)
    return rasterize_projected(p, width, height, bg, chunk=chunk, tile=tile)
