"""Shared transformer pieces: sinusoidal positions, codebook cross-attention, ATOM decoder layer."""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from app.engine.repr.humanml3d import RIC, ROOT_ROT_VEL, ROOT_Y


def sinusoid(n: int, d: int, device=None, dtype=torch.float32) -> torch.Tensor:
    """[n, d] sinusoidal position (or timestep) encoding (Vaswani et al.)."""
    pos = torch.arange(n, device=device, dtype=torch.float32)[:, None]
    div = torch.exp(torch.arange(0, d, 2, device=device, dtype=torch.float32) * (-math.log(10000.0) / d))
    pe = torch.zeros(n, d, device=device)
    pe[:, 0::2] = torch.sin(pos * div)
    pe[:, 1::2] = torch.cos(pos * div[: d // 2])
    return pe.to(dtype)


class FeatureNormMixin:
    """Mean/std of the 263-dim features as buffers (`feat_mean`, `feat_std`) of an nn.Module,
    so they travel inside the checkpoint."""

    def init_feature_norm(self, feature_dim: int) -> None:
        self.register_buffer("feat_mean", torch.zeros(feature_dim))  # type: ignore[attr-defined]
        self.register_buffer("feat_std", torch.ones(feature_dim))  # type: ignore[attr-defined]

    def set_normalizer(self, mean, std) -> None:
        self.feat_mean.copy_(torch.as_tensor(mean, dtype=torch.float32))
        self.feat_std.copy_(torch.as_tensor(std, dtype=torch.float32))

    def denormalize(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.feat_std + self.feat_mean


class PositionalEncoding(nn.Module):
    """Adds sinusoidal positions to [B, T, d]; grows its table for longer sequences."""

    def __init__(self, d: int, max_len: int = 512) -> None:
        super().__init__()
        self.d = d
        self.register_buffer("pe", sinusoid(max_len, d), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = x.shape[1]
        if t > self.pe.shape[0]:
            self.pe = sinusoid(max(t, 2 * self.pe.shape[0]), self.d, self.pe.device)
        return x + self.pe[:t].to(x.dtype)


def encoder_layer(d: int, heads: int, ff: int, dropout: float) -> nn.TransformerEncoderLayer:
    """Pre-norm GELU encoder layer, batch first."""
    return nn.TransformerEncoderLayer(d, heads, ff, dropout, activation="gelu", batch_first=True, norm_first=True)


def padding_mask(lengths: torch.Tensor, t: int) -> torch.Tensor:
    """[B, t] bool, True at padded positions (PyTorch's key_padding_mask convention)."""
    return torch.arange(t, device=lengths.device)[None] >= lengths[:, None]


class CodebookAttention(nn.Module):
    """Multi-head cross-attention from frame queries to a shared memory (the atomic-action codebook).

    K/V are projected once from the [K, d] codebook and broadcast over the batch (never expanded
    to [B, K, d] first).  Returns the output and the head-averaged attention [B, T, K].
    """

    def __init__(self, d: int, heads: int) -> None:
        super().__init__()
        if d % heads:
            raise ValueError("d_model must be divisible by heads")
        self.heads, self.dh = heads, d // heads
        self.q = nn.Linear(d, d)
        self.kv = nn.Linear(d, 2 * d)
        self.out = nn.Linear(d, d)

    def forward(self, x: torch.Tensor, memory: torch.Tensor, need_weights: bool = True
                ) -> tuple[torch.Tensor, torch.Tensor | None]:
        b, t, d = x.shape
        k_n = memory.shape[0]
        q = self.q(x).view(b, t, self.heads, self.dh).transpose(1, 2)            # B h T dh
        k, v = self.kv(memory).view(k_n, 2, self.heads, self.dh).permute(1, 2, 0, 3)  # h K dh each
        att = torch.softmax((q @ k.transpose(-1, -2)) * (self.dh ** -0.5), dim=-1)  # B h T K
        y = (att @ v).transpose(1, 2).reshape(b, t, d)
        return self.out(y), att.mean(1) if need_weights else None


class CodebookDecoderLayer(nn.Module):
    """Pre-norm decoder layer: self-attention over frames, cross-attention to the codebook, FF."""

    def __init__(self, d: int, heads: int, ff: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.norm1, self.norm2, self.norm3 = nn.LayerNorm(d), nn.LayerNorm(d), nn.LayerNorm(d)
        self.self_attn = nn.MultiheadAttention(d, heads, dropout=dropout, batch_first=True)
        self.cross = CodebookAttention(d, heads)
        self.ff = nn.Sequential(nn.Linear(d, ff), nn.GELU(), nn.Dropout(dropout), nn.Linear(ff, d))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, memory: torch.Tensor, pad: torch.Tensor | None, need_weights: bool = True
                ) -> tuple[torch.Tensor, torch.Tensor | None]:
        h = self.norm1(x)
        x = x + self.drop(self.self_attn(h, h, h, key_padding_mask=pad, need_weights=False)[0])
        y, att = self.cross(self.norm2(x), memory, need_weights)
        x = x + self.drop(y)
        x = x + self.drop(self.ff(self.norm3(x)))
        return x, att


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of x [B, T, ...] over valid frames (mask [B, T] True = valid) and trailing dims."""
    m = mask.to(x.dtype).view(mask.shape + (1,) * (x.dim() - 2))
    per = x.numel() // (x.shape[0] * x.shape[1])
    return (x * m).sum() / (m.sum() * per).clamp(min=1.0)


def masked_mse(a: torch.Tensor, b: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return masked_mean((a - b) ** 2, mask)


def jerk_mse(a: torch.Tensor, b: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """MSE of the third differences over time of a and b [B, T, D], over windows of four valid frames."""
    m = mask[:, 3:] & mask[:, :-3]
    return masked_mse(torch.diff(a, n=3, dim=1), torch.diff(b, n=3, dim=1), m)


def jerk_excess(a: torch.Tensor, b: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Jerk energy of a [B, T, D] beyond that of b, per item and dim: relu(E_a - E_b) averaged.

    E is the mean squared third time difference over windows of four valid frames.  Frame noise
    (whose third difference is up to 8x its amplitude) pays; a fast punch at another time or phase
    than the data's does not, where `jerk_mse` charges it and so damps fast limb work (session 27)."""
    m = (mask[:, 3:] & mask[:, :-3]).to(a.dtype)[..., None]
    n = m.sum(1).clamp(min=1.0)                                              # B 1
    e = [(torch.diff(x, n=3, dim=1).pow(2) * m).sum(1) / n for x in (a, b)]  # B D
    return torch.relu(e[0] - e[1]).mean()


def spectral_l2(a: torch.Tensor, b: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Phase-free distance of two feature sequences [B, T, D] over valid frames (mask [B, T]).

    Each sequence minus its mean over the valid frames, zeroed on padding, goes through an rFFT
    over time; the squared difference of the magnitudes (scaled by 1/sqrt(valid frames), so a
    sequence's spectrum carries its per-frame energy, Parseval) is summed over frequencies and
    averaged over dims and items (a mean over the ~T/2 bins would dilute an oscillation that
    lives in a few of them to nothing).  A prediction that damps an oscillation whose phase it cannot know (a wave, claps,
    jumping jacks) pays here even when its per-frame MSE is the lowest it can be.
    """
    return (_magnitudes(a, mask) - _magnitudes(b, mask)).pow(2).sum(1).mean()


def _magnitudes(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """rFFT magnitudes over time [B, F, D] of x [B, T, D] minus its mean over the valid frames, zeroed on
    padding, scaled by 1/sqrt(valid frames) (the per-frame energy, Parseval)."""
    m = mask.to(torch.float32)[..., None]
    n = m.sum(1, keepdim=True).clamp(min=1.0)
    x = (x.float() - (x.float() * m).sum(1, keepdim=True) / n) * m
    return torch.fft.rfft(x, dim=1).abs() / n.sqrt()


def band_spectral_l2(a: torch.Tensor, b: torch.Tensor, mask: torch.Tensor, fps: float = 20.0,
                     ratio: float = 1.5, lo_hz: float = 0.2, hi_hz: float = 6.0) -> torch.Tensor:
    """Tempo-tolerant phase-free distance of two sequences [B, T, D] (mask [B, T]): :func:`spectral_l2` on the
    amplitudes of soft frequency bands (Gaussians in log frequency, centres a factor ``ratio`` apart from
    ``lo_hz`` to ``hi_hz``; amplitude = sqrt of the band's power) instead of single bins.

    Per-bin magnitudes of two oscillations at 1.0 and 1.15 Hz do not overlap, so a model whose tempo is a
    guess (a draw from the prior) lowers that distance by damping the oscillation; a band holds both, so the
    distance asks for the amplitude and leaves the tempo free within about ``ratio``."""
    f = torch.fft.rfftfreq(a.shape[1], d=1.0 / fps).to(a.device).clamp(min=1e-3)  # [F]
    centres = torch.tensor([lo_hz * ratio ** k for k in range(int(math.log(hi_hz / lo_hz, ratio)) + 1)],
                           device=a.device)
    w = torch.exp(-0.5 * ((f.log()[None] - centres.log()[:, None]) / math.log(ratio)) ** 2)   # [K, F]
    amp = [(torch.einsum("kf,bfd->bkd", w, _magnitudes(x, mask) ** 2) + 1e-8).sqrt() for x in (a, b)]
    return (amp[0] - amp[1]).pow(2).sum(1).mean()


def lowpass(x: torch.Tensor, mask: torch.Tensor, sigma: float) -> torch.Tensor:
    """Gaussian low-pass over time of x [B, T, D] (sigma in frames), valid frames only (mask [B, T]).

    Normalised convolution: padding and the sequence ends do not pull the filtered signal towards 0.
    Half power at about 3.75 / sigma Hz at 20 fps (sigma 3: 1.25 Hz)."""
    r = max(1, int(math.ceil(3 * sigma)))
    k = torch.exp(-0.5 * (torch.arange(-r, r + 1, device=x.device, dtype=torch.float32) / sigma) ** 2)
    k = (k / k.sum()).view(1, 1, -1)
    m = mask.to(torch.float32)[:, None]                                     # B 1 T
    b, t, d = x.shape
    xs = (x.float() * mask.to(torch.float32)[..., None]).transpose(1, 2).reshape(b * d, 1, t)
    num = F.conv1d(xs, k, padding=r).view(b, d, t)
    den = F.conv1d(m, k, padding=r).clamp(min=1e-6)                          # B 1 T
    return (num / den).transpose(1, 2).to(x.dtype)


def stft_l1(a: torch.Tensor, b: torch.Tensor, mask: torch.Tensor, windows: tuple[int, ...] = (16, 32),
            hop: int = 4) -> torch.Tensor:
    """Multi-resolution STFT magnitude distance of two sequences [B, T, D] (mask [B, T] True = valid).

    As the multi-resolution STFT loss of neural vocoders (Yamamoto et al. 2020, Parallel WaveGAN):
    per short window (here 0.8 s and 1.6 s at 20 fps), the L1 difference of the magnitude spectra,
    averaged.  It is local in time (a wave's swings belong to the wave's seconds, not to the clip)
    and blind to phase, so an oscillation whose phase the model cannot know is asked for at its
    amplitude instead of being averaged away as per-frame MSE does.  Padding is zeroed in both."""
    m = mask.to(torch.float32)[..., None]
    bsz, t, d = a.shape
    total = a.new_zeros((), dtype=torch.float32)
    for w in windows:
        if t < w:
            continue
        win = torch.hann_window(w, device=a.device)
        mags = []
        for x in (a, b):
            sig = (x.float() * m).transpose(1, 2).reshape(bsz * d, t)
            mags.append(torch.stft(sig, n_fft=w, hop_length=hop, win_length=w, window=win, center=False,
                                   return_complex=True).abs())
        total = total + (mags[0] - mags[1]).abs().mean() / math.sqrt(w)
    return total / len(windows)


# end effectors and their anchors (SMPL-22): pelvis, ankles, head, shoulders, elbows, wrists
PAIR_JOINTS = (0, 7, 8, 15, 16, 17, 18, 19, 20, 21)
YAW_RADIUS = 0.25  # m: the root's yaw rate enters w_pair as the speed of a point this far off the axis


def pair_distances(feats: torch.Tensor, joints: tuple[int, ...] = PAIR_JOINTS) -> torch.Tensor:
    """Distances between every pair of ``joints`` [B, T, P] (metres) from denormalised HumanML3D features [B, T, 263].

    The body-frame positions are the RIC block (joints 1-21) and the root at (0, root height, 0); a distance
    does not depend on heading or travel.  A per-channel phase-free loss cannot see the *relative* phase of
    two limbs (two wrists swinging together or against each other have the same spectra each: a sway and a
    clap); their distance can."""
    b, t, _ = feats.shape
    ric = feats[..., RIC].reshape(b, t, 21, 3)
    height = feats[..., ROOT_Y]
    root = torch.cat([torch.zeros_like(height), height, torch.zeros_like(height)], -1)
    pos = torch.cat([root[:, :, None], ric], 2)[:, :, list(joints)]
    i, j = torch.triu_indices(len(joints), len(joints), 1, device=feats.device)
    return (pos[:, :, i] - pos[:, :, j]).norm(dim=-1)


def pair_channels(feats: torch.Tensor, fps: float = 20.0, yaw_radius: float = YAW_RADIUS) -> torch.Tensor:
    """What ``w_pair`` compares phase-free [B, T, P + 1]: the pair distances and the root's yaw rate.

    The yaw rate (rad/s) is scaled to the speed of a point ``yaw_radius`` metres off the vertical axis, a limb's
    scale.  Its short-time magnitude spectrum does not know the turn's sign (the DC bin is the window's |heading
    change|), so "turn around" asks for a half turn either way instead of the average of left and right: none."""
    yaw_rate = feats[..., ROOT_ROT_VEL] * 2.0 * fps  # the feature is half the yaw change per frame
    return torch.cat([pair_distances(feats), yaw_rate * yaw_radius], -1)


class PeriodicBank(nn.Module):
    """Oscillators added to the decoder's frame queries (after DeepPhase's periodic latents, Starke et al. 2022).

    From z and a text summary, each of ``n`` oscillators gets a frequency in [f_min, f_max] Hz (spread
    over the band at initialisation) and a phase/amplitude vector (c, s); the frames receive
    c sin(wt) + s cos(wt) and its quadrature, projected to d (zero-initialised, so a checkpoint
    trained without the bank starts unchanged).  Positions alone make a transformer decoder
    learn oscillations slowly (it output the raise of a wave but never the swings); here the
    rhythm is one multiplication away, and its phase can live in z.
    """

    def __init__(self, d: int, n: int = 16, fps: float = 20.0, f_min: float = 0.25, f_max: float = 4.0) -> None:
        super().__init__()
        self.n, self.fps, self.f_min, self.f_max = n, fps, f_min, f_max
        self.params = nn.Sequential(nn.Linear(2 * d, 2 * d), nn.GELU(), nn.Linear(2 * d, 3 * n))
        base = torch.linspace(0.05, 0.95, n)
        self.register_buffer("freq_offset", torch.log(base / (1 - base)), persistent=False)
        self.out = nn.Linear(2 * n, d)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, z: torch.Tensor, ctx: torch.Tensor, t: int) -> torch.Tensor:
        """[B, T, d] from z [B, d] and a text summary ctx [B, d]."""
        p = self.params(torch.cat([z, ctx], dim=-1)).view(z.shape[0], self.n, 3)
        freq = self.f_min + (self.f_max - self.f_min) * torch.sigmoid(p[..., 0] + self.freq_offset)
        c, s = p[..., 1:2].transpose(1, 2), p[..., 2:3].transpose(1, 2)           # B 1 n
        time = torch.arange(t, device=z.device, dtype=z.dtype)[None, :, None] / self.fps
        arg = 2 * math.pi * freq[:, None, :] * time                                 # B T n
        sin, cos = torch.sin(arg), torch.cos(arg)
        return self.out(torch.cat([c * sin + s * cos, c * cos - s * sin], dim=-1))


__all__ = ["sinusoid", "PositionalEncoding", "encoder_layer", "padding_mask", "CodebookAttention",
           "CodebookDecoderLayer", "masked_mean", "masked_mse", "spectral_l2", "lowpass", "stft_l1",
           "PeriodicBank", "F"]


def segment_contrast(att: torch.Tensor, seg: torch.Tensor, tau: float = 0.1) -> torch.Tensor:
    """Atoms that change where the action changes: each frame's attention over the codebook
    (att [B, T, K]) must be closer (cosine) to the mean attention of its own ground-truth segment
    than to the other segments' of the same motion (seg [B, T], segment index per frame, -1 for
    padding): cross-entropy over the motion's segments with logits cos / tau. Motions with one
    segment add nothing; zero when no motion of the batch has two."""
    b, t, k = att.shape
    n_seg = int(seg.max()) + 1 if seg.numel() else 0
    if n_seg < 2:
        return att.new_zeros(())
    valid = seg >= 0
    onehot = F.one_hot(seg.clamp(min=0), n_seg).to(att.dtype) * valid[..., None].to(att.dtype)   # B T S
    count = onehot.sum(1)                                                                       # B S
    proto = torch.einsum("bts,btk->bsk", onehot, att) / count.clamp(min=1.0)[..., None]          # B S K
    logits = torch.einsum("btk,bsk->bts", F.normalize(att, dim=-1), F.normalize(proto, dim=-1)) / tau
    logits = logits.masked_fill((count == 0)[:, None, :], float("-inf"))
    multi = (count > 0).sum(-1) >= 2                                                             # B
    use = valid & multi[:, None]
    if not bool(use.any()):
        return att.new_zeros(())
    ce = F.cross_entropy(logits[use], seg[use], reduction="mean")
    return ce


def atom_usage_gap(att: torch.Tensor, valid: torch.Tensor, scope: str = "batch") -> torch.Tensor:
    """log K minus the entropy of the mean attention over atoms (att [B, T, K], valid [B, T]).

    scope "batch": of the batch's mean attention (0 when the batch uses every atom equally);
    "motion": of each motion's own mean, averaged over motions, so one motion also spreads over
    several atoms in time.  With the per-frame sparsity term this asks for few atoms per frame but
    different atoms across frames: without it the sparsity term alone collapses the codebook onto
    one or two atoms.
    """
    m = valid.to(att.dtype)[..., None]
    if scope == "motion":
        p = (att * m).sum(1) / m.sum(1).clamp(min=1.0)                   # B K
        entropy = -(p * torch.log(p.clamp(min=1e-9))).sum(-1).mean()
    else:
        p = (att * m).sum((0, 1)) / m.sum().clamp(min=1.0)
        entropy = -(p * torch.log(p.clamp(min=1e-9))).sum()
    return math.log(att.shape[-1]) - entropy
