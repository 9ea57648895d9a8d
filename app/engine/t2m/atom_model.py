"""ATOM (Zhai et al., ACM MM 2023): a text-conditioned CVAE whose decoder composes motion from a
learned codebook of atomic actions.

Encoder: the frozen MiniLM sentence embedding is projected into two distribution tokens
(mu, sigma) placed before the (partly masked) motion tokens; a transformer encoder reads them
and its outputs at those two positions are mu and log-variance of z.
Decoder: frame queries = z + a text bias, repeated over the T frames, plus sinusoidal positions
(so the duration is the number of queries); each layer self-attends over frames and
cross-attends to the codebook (K x d, the memory; K/V projected once and broadcast); a linear
head returns the 263-dim HumanML3D features.  The attention maps [B, T, K] are returned.
Losses: masked L2 on (normalised) features, joint positions recovered from the denormalised
features, KL to the prior (N(0, I), or p(z | text) with ``learned_prior``), attention sparsity (- mean over frames of max over the codebook),
codebook orthogonality ||C^ C^T - I||_F on row-normalised C, and (our addition) atom usage: the
entropy gap of the batch's mean attention, which keeps the sparsity term from collapsing every frame onto one atom.
Optional (session 4, see models/atom/README.md): a spectral loss on local joint positions
(``w_spec``), an oscillator bank (``periodic``), a scaled posterior noise (``z_noise``); (session 5) decoder text
dropout (``dec_text_drop``); (11) local latents (``time_latent``); (41) text consistency (``w_text_cons``); (49) band
envelopes (``w_env``, :mod:`.envelope`). Curriculum masked motion modelling: masked input share :func:`mask_ratio`.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from app.engine.repr import humanml3d_torch
from app.engine.repr.humanml3d import RIC, ROOT_Y

from . import clock as C
from .config import AtomConfig
from .envelope import envelope_l2
from .text_cond import N_SLOTS, SLOT_SIZES
from .text_consistency import text_consistency_loss
from .time_latent import TimeLatent
from .schedules import mask_ratio, spec_weight
from .layers import (CodebookDecoderLayer, FeatureNormMixin, PositionalEncoding, atom_usage_gap, encoder_layer,
                     jerk_excess, jerk_mse, masked_mean, masked_mse, PeriodicBank, lowpass, pair_channels,
                     padding_mask, segment_contrast, spectral_l2, stft_l1, band_spectral_l2)

LOCAL = slice(4, 259)  # the limbs: RIC positions, 6D rotations and local velocities (not root, not foot contacts)
JERK_MODES = {"mse": jerk_mse, "excess": jerk_excess}


class ATOM(FeatureNormMixin, nn.Module):
    """The ATOM CVAE.  Inputs are normalised features; normaliser stats live in buffers."""

    def __init__(self, cfg: AtomConfig) -> None:
        super().__init__()
        self.cfg = cfg
        d = cfg.d_model
        self.motion_in = nn.Linear(cfg.feature_dim, d)
        self.text_mu = nn.Linear(cfg.text_dim, d)
        self.text_sigma = nn.Linear(cfg.text_dim, d)
        self.mu_query = nn.Parameter(torch.randn(d) * 0.02)
        self.sigma_query = nn.Parameter(torch.randn(d) * 0.02)
        self.mask_token = nn.Parameter(torch.randn(d) * 0.02)
        self.pos = PositionalEncoding(d, max(512, cfg.max_frames))
        self.encoder = nn.TransformerEncoder(encoder_layer(d, cfg.heads, cfg.ff, cfg.dropout), cfg.enc_layers,
                                             norm=nn.LayerNorm(d), enable_nested_tensor=False)
        self.text_bias = nn.Linear(cfg.text_dim, d)
        if cfg.word_emb:  # per-frame text bias from the prompt's tokens and slots
            self.token_proj = nn.Linear(cfg.text_dim, d)
            self.slot_emb = nn.ModuleList(nn.Embedding(n, d) for n in SLOT_SIZES)
            self.slot_pos = nn.Parameter(torch.randn(N_SLOTS, d) * 0.02)
            layer = nn.TransformerDecoderLayer(d, cfg.heads, cfg.ff, cfg.dropout, activation="gelu",
                                               batch_first=True, norm_first=True)
            self.word_decoder = nn.TransformerDecoder(layer, cfg.word_layers, norm=nn.LayerNorm(d))
        if cfg.learned_prior:  # p(z | text): the CVAE prior of Sohn et al. 2015 instead of N(0, I)
            self.prior = nn.Sequential(nn.Linear(2 * d, 2 * d), nn.GELU(), nn.Linear(2 * d, 2 * d))
            nn.init.zeros_(self.prior[-1].weight)
            nn.init.zeros_(self.prior[-1].bias)
        if cfg.periodic:  # oscillators on the frame queries: rhythm from text, phase from z
            self.periodic = PeriodicBank(d, cfg.periodic, cfg.fps)
        if cfg.jerk_mode not in JERK_MODES:
            raise ValueError(f"unknown jerk_mode {cfg.jerk_mode!r}; use one of {tuple(JERK_MODES)}")
        if cfg.clock:  # the rhythm's phase as an input: measured in training, drawn at sampling (clock.py)
            if cfg.clock_source not in C.SOURCES:
                raise ValueError(f"unknown clock_source {cfg.clock_source!r}; use one of {C.SOURCES}")
            self.clock = C.ClockHead(d, cfg.fps, cfg.feature_dim, cfg.count_clock_band)
            if cfg.clock_phase:
                self.clock_phase = C.PhaseHead(d)
        if cfg.time_latent:  # local latents: when things happen (see time_latent.py)
            self.time_latent = TimeLatent(d, cfg.time_latent_dim, cfg.time_latent, cfg.time_latent_ar)
        self.codebook = nn.Parameter(torch.randn(cfg.codebook_size, d) / math.sqrt(d))
        self.decoder = nn.ModuleList(CodebookDecoderLayer(d, cfg.heads, cfg.ff, cfg.dropout)
                                     for _ in range(cfg.dec_layers))
        self.dec_norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, cfg.feature_dim)
        self.init_feature_norm(cfg.feature_dim)


    # --- encoder / decoder -------------------------------------------
    def text_memory(self, cond: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Projected token states + slot embeddings [B, L+4, d] and their padding mask (True = pad)."""
        tokens, mask, slots = cond["tokens"], cond["token_mask"], cond["slots"]
        tok = self.token_proj(tokens)
        slot = torch.stack([emb(slots[:, i].clamp(0, emb.num_embeddings - 1)) for i, emb in enumerate(self.slot_emb)], 1)
        mem = torch.cat([tok, slot + self.slot_pos.to(tok.dtype)], dim=1)
        pad = torch.cat([~mask, mask.new_zeros((mask.shape[0], N_SLOTS))], dim=1)
        return mem, pad

    def frame_bias(self, cond: dict[str, torch.Tensor], t: int) -> torch.Tensor:
        """Text bias on the decoder's frame queries: [B, 1, d] (pooled) or [B, T, d] (word-level)."""
        bias = self.text_bias(cond["text"])[:, None]
        if not self.cfg.word_emb:
            return bias
        mem, pad = self.text_memory(cond)
        q = self.pos(bias.expand(-1, t, -1))
        return self.word_decoder(q, mem, memory_key_padding_mask=pad)

    def prior_params(self, cond: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """mu, logvar [B, d] of z given the text: learned (``learned_prior``) or N(0, I)."""
        pooled = cond["text"]
        b, d = pooled.shape[0], self.cfg.d_model
        if not self.cfg.learned_prior:
            zero = pooled.new_zeros((b, d))
            return zero, zero
        out = self.prior(self.prior_context(cond))
        return out[:, :d], out[:, d:].clamp(-8.0, 4.0)

    def prior_context(self, cond: dict[str, torch.Tensor]) -> torch.Tensor:
        """[B, 2d] what the prior reads: the projected sentence and the mean of the words and slots."""
        pooled = cond["text"]
        mem, pad = self.text_memory(cond) if self.cfg.word_emb else (self.text_bias(pooled)[:, None], None)
        keep = torch.ones(mem.shape[:2], dtype=mem.dtype, device=mem.device) if pad is None else (~pad).to(mem.dtype)
        words = (mem * keep[..., None]).sum(1) / keep.sum(1, keepdim=True).clamp(min=1.0)
        return torch.cat([self.text_bias(pooled), words], dim=-1)

    def encode(self, x: torch.Tensor, lengths: torch.Tensor, text: torch.Tensor | dict,
               frame_mask: torch.Tensor | None = None, return_frames: bool = False) -> tuple[torch.Tensor, ...]:
        """mu, logvar [B, d] from normalised features x [B, T, 263]; frame_mask True = masked frame.
        return_frames: also the encoder's frame states [B, T, d] (the local latents' input)."""
        text = as_cond(text)["text"]
        h = self.motion_in(x)
        if frame_mask is not None:
            h = torch.where(frame_mask[..., None], self.mask_token.to(h.dtype), h)
        h = self.pos(h)
        mu_tok = (self.text_mu(text) + self.mu_query)[:, None]
        sig_tok = (self.text_sigma(text) + self.sigma_query)[:, None]
        seq = torch.cat([mu_tok, sig_tok, h], dim=1)
        pad = padding_mask(lengths, x.shape[1])
        pad = torch.cat([torch.zeros_like(pad[:, :2]), pad], dim=1)
        out = self.encoder(seq, src_key_padding_mask=pad)
        return (out[:, 0], out[:, 1], out[:, 2:]) if return_frames else (out[:, 0], out[:, 1])

    def reconstruct(self, x: torch.Tensor, lengths: torch.Tensor, text: torch.Tensor | dict) -> torch.Tensor:
        """Decode from the posterior means (global and local latents): normalised features [B, T, 263]."""
        mu, _, frames = self.encode(x, lengths, text, return_frames=True)
        z_local = None
        if self.cfg.time_latent:
            z_local = self.time_latent.posterior(frames, ~padding_mask(lengths, x.shape[1]))[0]
        return self.decode(mu, text, lengths, x.shape[1], z_local=z_local, clock=self.measured_clock(x, lengths))[0]

    def measured_clock(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor | None:
        """The clock of normalised features x [B, T, 263] (None without ``clock``)."""
        if not self.cfg.clock:
            return None
        m = C.measure(self.denormalize(x.float())[..., RIC], lengths, self.cfg.fps)
        return C.features(m["phase"], m["amp"]).to(x.dtype)

    def decode(self, z: torch.Tensor, text: torch.Tensor | dict, lengths: torch.Tensor,
               num_frames: int | None = None, text_keep: torch.Tensor | None = None,
               z_local: torch.Tensor | None = None, bias: torch.Tensor | None = None,
               clock: torch.Tensor | None = None) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Normalised features [B, T, 263] and codebook attention [B, T, K] per layer (eval mode: last only).

        text_keep [B] (0/1): items with 0 decode from z alone (``dec_text_drop`` in training; the text-free half of guided sampling).
        z_local [B, K, dz]: the local latents (``time_latent``; None = the prior's mean); bias: the
        text bias if already computed (:meth:`frame_bias`); clock [B, T, 3]: the phase clock
        (``clock``; None = one drawn from the text with torch's global generator).
        """
        t = int(num_frames if num_frames is not None else lengths.max())
        if bias is None:
            bias = self.frame_bias(as_cond(text), t)
        if text_keep is not None:
            bias = bias * text_keep.to(bias.dtype)[:, None, None]
        q = z[:, None] + bias
        if self.cfg.time_latent:
            if z_local is None:
                z_local = self.time_latent.prior_params(bias, t)[0]
            q = q + self.time_latent.expand(z_local, t)
        if self.cfg.periodic:
            q = q + self.periodic(z, bias.mean(1), t)
        if self.cfg.clock:
            if clock is None:
                clock = self.clock.sample(bias, t)
            q = q + self.clock(clock)
        h = self.pos(q.expand(-1, t, -1))
        pad = padding_mask(lengths, t)
        pad = pad if bool(pad.any()) else None
        maps = []
        for i, layer in enumerate(self.decoder):  # at inference only the last map is needed
            h, att = layer(h, self.codebook, pad, self.training or i == len(self.decoder) - 1)
            if att is not None:
                maps.append(att)
        h = self.dec_norm(h)
        out = self.head(h)
        if self.cfg.clock:
            out = out + self.clock.paint(h, clock)
        return out, maps

    # --- training ----------------------------------------------------
    def loss(self, batch: dict[str, torch.Tensor], progress: float,
             generator: torch.Generator | None = None) -> tuple[torch.Tensor, dict[str, float]]:
        """Total loss and its parts for one batch (x normalised [B,T,263], lengths [B], text [B,384])."""
        cfg = self.cfg
        x, lengths = batch["x"], batch["lengths"]
        text = as_cond(batch)
        valid = ~padding_mask(lengths, x.shape[1])
        ratio = mask_ratio(progress, cfg.mask_max, cfg.mask_schedule, cfg.curriculum_end)
        frame_mask = None
        if ratio > 0:
            u = torch.rand(x.shape[:2], generator=generator, device=x.device)
            frame_mask = (u < ratio) & valid
        keep = None
        if cfg.dec_text_drop > 0:
            u = torch.rand(x.shape[:1], generator=generator, device=x.device)
            keep = (u >= cfg.dec_text_drop).to(x.dtype)
        enc_text = text if keep is None or not cfg.drop_enc_text else dict(text, text=text["text"] * keep[:, None])
        mu, logvar, frames = self.encode(x, lengths, enc_text, frame_mask, return_frames=True)
        eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        z = mu + cfg.z_noise * eps * torch.exp(0.5 * logvar)
        z_local, kl_local, kl_local_loss, bias = None, x.new_zeros(()), x.new_zeros(()), None
        if cfg.time_latent:
            bias = self.frame_bias(text, x.shape[1])
            l_mu, l_logvar, ok = self.time_latent.posterior(frames, valid)
            l_eps = torch.randn(l_mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
            z_local = l_mu + cfg.z_noise * l_eps * torch.exp(0.5 * l_logvar)
            prior_bias = bias if keep is None else bias * keep[:, None, None]
            kl_local, kl_local_loss = self.time_latent.kl(l_mu, l_logvar, *self.time_latent.prior_params(prior_bias, x.shape[1], z_local),
                                                          ok, cfg.time_latent_free_bits)
        clock, clock_loss = None, x.new_zeros(())
        if cfg.clock:  # teacher-forced: the decoder hears the motion's own rhythm; the head learns it from the text
            if bias is None:
                bias = self.frame_bias(text, x.shape[1])
            target = C.measure(self.denormalize(x.float())[..., RIC], lengths, cfg.fps)
            clock = C.features(target["phase"], target["amp"]).to(x.dtype)
            clock_loss = self.clock.loss(bias, target, valid)
            if cfg.clock_drop > 0:
                u = torch.rand(x.shape[:1], generator=generator, device=x.device)
                clock = clock * (u >= cfg.clock_drop).to(clock.dtype)[:, None, None]
        pred, maps = self.decode(z, text, lengths, x.shape[1], keep, z_local=z_local, bias=bias, clock=clock)
        if cfg.rec_lowpass > 0:  # the limbs' per-frame fit sees their slow part only; w_stft judges the fast part
            sig = cfg.rec_lowpass
            fit = torch.cat([pred[..., :LOCAL.start], lowpass(pred[..., LOCAL], valid, sig), pred[..., LOCAL.stop:]], -1)
            ref = torch.cat([x[..., :LOCAL.start], lowpass(x[..., LOCAL], valid, sig), x[..., LOCAL.stop:]], -1)
            rec = masked_mse(fit, ref, valid)
        else:
            rec = masked_mse(pred, x, valid)
        if cfg.w_root > 0:  # root yaw rate, ground velocity and height: 4 of 263 dims, yet they carry turns and travel
            rec = rec + cfg.w_root * masked_mse(pred[..., :4], x[..., :4], valid)
        if cfg.w_ric > 0:   # local joint positions: the limbs of the decoded clip point along them
            rec = rec + cfg.w_ric * masked_mse(pred[..., RIC], x[..., RIC], valid)
        spec = pred.new_zeros(())
        w_spec = cfg.w_spec * spec_weight(progress, cfg.spec_from)
        if cfg.w_spec > 0:  # local joint positions (ric): amplitude and rhythm, whatever their phase (logged while off)
            spec = spectral_l2(pred[..., RIC], x[..., RIC], valid)
        stft = pred.new_zeros(())
        if cfg.w_stft > 0:
            stft = stft_l1(pred[..., LOCAL], x[..., LOCAL], valid)
        jerk = pred.new_zeros(())
        if cfg.w_jerk > 0:
            jerk = JERK_MODES[cfg.jerk_mode](pred[..., ROOT_Y.start:RIC.stop], x[..., ROOT_Y.start:RIC.stop], valid)  # pelvis height and RIC
        pred_d, x_d = self.denormalize(pred.float()), self.denormalize(x.float())  # shared by the terms below
        pair = pred.new_zeros(())
        if cfg.w_pair > 0:  # hands meeting and parting, reach, feet apart, |heading change|: phase- and sign-free
            pair = stft_l1(pair_channels(pred_d), pair_channels(x_d), valid)
        joint = pred.new_zeros(())
        if cfg.w_joint > 0:
            joint = masked_mse(humanml3d_torch.features_to_joints(pred_d), humanml3d_torch.features_to_joints(x_d), valid)
        p_mu, p_logvar = self.prior_params(text)  # zeros (N(0, I)) unless learned_prior
        prior_path, prior_pred, env = pred.new_zeros(()), None, pred.new_zeros(())
        if cfg.w_prior_path > 0:
            prior_path, prior_pred = self.prior_path_loss(x, lengths, text, p_mu, p_logvar, bias, clock, generator)
        if cfg.w_env > 0:  # swings kept to the end of a counted span, posterior and prior decodes (.envelope)
            decodes = [pred_d] + ([self.denormalize(prior_pred.float())] if prior_pred is not None else [])
            env = sum(envelope_l2(d[..., RIC], x_d[..., RIC], valid, cfg.fps) for d in decodes)
        kl_per_dim = 0.5 * (p_logvar - logvar + (logvar.exp() + (mu - p_mu).pow(2)) / p_logvar.exp() - 1)
        # "sum": nats per sample (the usual VAE KL); "mean" divides by d and lets z carry ~100 nats,
        # which leaves z ~ N(0, I) at sampling far from every posterior and the text ignored
        kl = kl_per_dim.sum(-1).mean() if cfg.kl_reduction == "sum" else kl_per_dim.mean()
        kl_loss = kl
        if cfg.kl_free_bits > 0:  # free bits (Kingma et al. 2016): no pull below this many nats per latent dim
            kl_loss = torch.clamp(kl_per_dim.mean(0), min=cfg.kl_free_bits).sum()
        sparse = torch.stack([-masked_mean(a.max(dim=-1).values[..., None], valid) for a in maps]).mean()
        usage = torch.stack([atom_usage_gap(a, valid, cfg.usage_scope) for a in maps]).mean()
        segment = pred.new_zeros(())
        if cfg.w_segment > 0 and "seg" in batch:
            segment = torch.stack([segment_contrast(a, batch["seg"]) for a in maps]).mean()
        tcons = text_consistency_loss(self, text, batch, bias, x.shape[1]) if cfg.w_text_cons > 0 else pred.new_zeros(())
        cb = nn.functional.normalize(self.codebook, dim=-1)
        ortho = torch.linalg.matrix_norm(cb @ cb.T - torch.eye(cb.shape[0], device=cb.device))
        total = (cfg.w_rec * rec + cfg.w_joint * joint + cfg.w_kl * kl_loss + cfg.w_sparse * sparse
                 + cfg.w_ortho * ortho + cfg.w_usage * usage + w_spec * spec + cfg.w_segment * segment
                 + cfg.w_stft * stft + cfg.w_jerk * jerk + cfg.w_pair * pair + cfg.w_kl_local * kl_local_loss + cfg.w_clock * clock_loss
                 + cfg.w_prior_path * prior_path + cfg.w_text_cons * tcons + cfg.w_env * env)
        parts = {"loss": total, "rec": rec, "spec": spec, "stft": stft, "jerk": jerk, "pair": pair, "joint": joint, "kl": kl, "kl_local": kl_local,
                 "clock": clock_loss, "prior_path": prior_path, "tcons": tcons, "sparse": sparse, "usage": usage, "ortho": ortho, "segment": segment, "env": env}
        return total, {k: float(v.detach()) for k, v in parts.items()} | {"mask": ratio}

    def prior_path_loss(self, x: torch.Tensor, lengths: torch.Tensor, text: dict, p_mu: torch.Tensor,
                        p_logvar: torch.Tensor, bias: torch.Tensor | None, clock: torch.Tensor | None,
                        generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(loss, decode [B, T, 263]) of the hybrid objective's prior path: z ~ p(z | text) at ``prior_path_temperature``
        (as at sampling) decoded and compared with x phase-free on the root and RIC dims (rFFT magnitudes + low-passed
        MSE: speed, turn, height course, posture and amplitude, not the moment of each beat)."""
        cfg = self.cfg
        valid = ~padding_mask(lengths, x.shape[1])
        eps = torch.randn(p_mu.shape, generator=generator, device=p_mu.device, dtype=p_mu.dtype)
        z = p_mu + eps * torch.exp(0.5 * p_logvar) * cfg.prior_path_temperature
        full = self.decode(z, text, lengths, x.shape[1], bias=bias, clock=clock)[0]
        pred, ref = full[..., :RIC.stop], x[..., :RIC.stop]
        smooth = masked_mse(lowpass(pred, valid, cfg.prior_path_sigma), lowpass(ref, valid, cfg.prior_path_sigma), valid)
        spec = band_spectral_l2(pred, ref, valid, cfg.fps) if cfg.prior_path_bands else spectral_l2(pred, ref, valid)
        return spec + smooth, full

    # --- inference ---------------------------------------------------
    @torch.no_grad()
    def sample(self, text: torch.Tensor | dict, num_frames: int, generator: torch.Generator | None = None,
               temperature: float | None = None, lengths: torch.Tensor | None = None,
               guidance: float | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """One decoder pass from z ~ p(z | text) (N(0, I) unless learned_prior): normalised features [B, T, 263], last-layer attention [B, T, K].

        temperature scales the prior's std (None: the config's ``sample_temperature``); guidance
        (None: the config's ``guidance``; 1 = off) extrapolates the decode away from the
        text-free decode of the same z (:func:`guided`).

        text: the pooled [B, 384] vectors or a condition dict (text, tokens, token_mask, slots);
        lengths [B] (optional, <= num_frames) masks padded frames when a batch mixes durations.
        """
        text = as_cond(text)
        dev = text["text"].device
        b = text["text"].shape[0]
        p_mu, p_logvar = self.prior_params(text)
        eps = torch.randn((b, self.cfg.d_model), generator=generator, device=dev)
        t = self.cfg.sample_temperature if temperature is None else temperature
        if getattr(self, "z_prior", None) is not None:  # diffusion prior in the Gaussian's coordinates (latent_prior.py)
            z = p_mu + self.z_prior.sample(self.prior_context(text), eps * t) * torch.exp(0.5 * p_logvar)
        else:
            z = p_mu + eps * torch.exp(0.5 * p_logvar) * t
        if lengths is None:
            lengths = torch.full((b,), num_frames, device=dev, dtype=torch.long)
        z_local, bias = None, None
        if self.cfg.time_latent:
            bias = self.frame_bias(text, num_frames)
            shape = (b, self.time_latent.tokens(num_frames), self.cfg.time_latent_dim)
            l_eps = torch.randn(shape, generator=generator, device=dev)
            z_local = self.time_latent.sample_prior(bias, num_frames, l_eps, t)
        clock = None
        if self.cfg.clock:
            if bias is None:
                bias = self.frame_bias(text, num_frames)
            phi0, reps = None, C.named_cycles(text, self.cfg.count_clock)
            if self.cfg.clock_source == "draft":
                silent = z.new_zeros((b, num_frames, C.CHANNELS))
                draft = self.decode(z, text, lengths, num_frames, z_local=z_local, bias=bias, clock=silent)[0]
                m = C.measure(self.denormalize(draft.float())[..., RIC], lengths, self.cfg.fps)
                valid = ~padding_mask(lengths, num_frames)
                phi0 = C.draft_phase(m, self.clock.drift(bias, num_frames, reps, lengths)[0], valid).to(z.dtype)
            elif self.cfg.clock_phase:
                phi0 = self.clock_phase(z, bias.mean(1))
            clock = self.clock.sample(bias, num_frames, generator, phi0, reps, lengths)
        g = self.cfg.guidance if guidance is None else guidance
        if g == 1.0:
            feats, maps = self.decode(z, text, lengths, num_frames, z_local=z_local, bias=bias, clock=clock)
            return feats, maps[-1]
        if bias is None:
            bias = self.frame_bias(text, num_frames)
        keep = torch.cat([torch.ones(b, device=dev), torch.zeros(b, device=dev)])
        twice = (lambda v: None if v is None else torch.cat([v, v]))
        feats, maps = self.decode(twice(z), text, twice(lengths), num_frames, text_keep=keep,
                                  z_local=twice(z_local), bias=twice(bias), clock=twice(clock))
        return guided(feats[:b], feats[b:], g), maps[-1][:b]


def guided(cond: torch.Tensor, free: torch.Tensor, scale: float) -> torch.Tensor:
    """Classifier-free guidance (Ho & Salimans 2022) on a one-pass decoder: free + scale (cond - free).

    ``free`` is the decode of the same latents without the text bias (the mode ``dec_text_drop`` trains).
    Per-frame regression answers what the latents do not pin down with an average, so a side step's
    travel or a turn's angle come out damped; cond - free is what the damping shrank, and scale > 1 gives
    it back (at a price: models/atom/README.md, session 13).  scale 1 returns ``cond``."""
    return free + scale * (cond - free)


def as_cond(text: torch.Tensor | dict) -> dict[str, torch.Tensor]:
    """A condition dict from pooled vectors [B, D] (tokens = the pooled vector, no slots) or a dict
    holding at least 'text' (missing tokens/slots are filled the same way)."""
    if isinstance(text, torch.Tensor):
        text = {"text": text}
    pooled = text["text"]
    if "tokens" in text and "slots" in text:
        return text
    out = dict(text)
    out.setdefault("tokens", pooled[:, None])
    out.setdefault("token_mask", torch.ones(pooled.shape[:1] + (1,), dtype=torch.bool, device=pooled.device))
    out.setdefault("slots", torch.zeros((pooled.shape[0], N_SLOTS), dtype=torch.long, device=pooled.device))
    return out
