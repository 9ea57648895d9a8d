"""Configurations of the text-to-motion models (ATOM CVAE and the MDM-style diffusion baseline).

``*_CPU`` presets train in about an hour on 2 CPU cores; ``*_GPU`` follow the paper's scale
(d=256, 8 layers, 512 atomic actions) for a GPU.  Configs round-trip through ``config.json``.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

FPS = 20.0
MAX_SECONDS = 120.0        # longest motion the pipeline generates (multi-span)
DEFAULT_CANDIDATES = 4     # draws per sample when a candidate ranker is loaded (.ranker, sample and rank)
RANKER_DIR = Path(__file__).resolve().parents[3] / "models" / "ranker"


def ranker_available(directory: Path = RANKER_DIR) -> bool:
    """Whether a trained candidate ranker ships in ``directory`` (checked without importing torch)."""
    return (Path(directory) / "model.safetensors").is_file()
MODEL_MAX_FRAMES = 200     # one model pass covers at most 10 s at 20 fps


@dataclass
class AtomConfig:
    model_type: str = "atom"
    feature_dim: int = 263
    text_dim: int = 384
    d_model: int = 128
    enc_layers: int = 4
    dec_layers: int = 4
    heads: int = 4
    ff: int = 512
    codebook_size: int = 256
    dropout: float = 0.0
    max_frames: int = MODEL_MAX_FRAMES
    fps: float = FPS
    # losses (the ATOM paper: 1e-2 each for KL, sparsity and orthogonality; retuned here, see models/atom/README.md)
    w_rec: float = 1.0
    w_joint: float = 0.1            # joint MSE in m^2 over global 10 s paths: scaled to match w_rec
    w_spec: float = 0.0             # rFFT-magnitude loss on local joint positions (phase-free amplitude/rhythm)
    spec_from: float = 0.0          # training progress where w_spec starts; it ramps in linearly over 0.1:
                                    # at init the spectral term (30-60) owns the gradient and blocks the fit
    w_root: float = 0.0             # extra weight on the 4 root features (turns were lost among 263 dims)
    w_ric: float = 0.0              # extra MSE on the 63 RIC dims (local joint positions): the studio decodes limbs from them
    rec_lowpass: float = 0.0        # > 0: the limbs' per-frame MSE (RIC, rotations, local velocities; not root or
                                    # foot contacts) compares Gaussian low-passed sequences (sigma in frames; 3 =
                                    # 1.25 Hz): faster oscillations, whose phase the decoder cannot know, are judged
                                    # by w_stft instead of being averaged away (session 10)
    w_stft: float = 0.0             # multi-resolution STFT magnitude loss on the same limb dims (layers.stft_l1)
    w_jerk: float = 0.0             # MSE of the third time differences (jerk) of the pelvis height and RIC dims, prediction vs data:
                                    # the decoder learns the data's smoothness (reconstructions had 1.4x its jitter; session 26)
    jerk_mode: str = "mse"          # "mse": jerk_mse; "excess": only jerk energy beyond the data's pays (layers.jerk_excess):
                                    # frame noise is charged, a fast punch off the data's timing is not (session 27)
    w_pair: float = 0.0             # the same STFT loss on end-effector pair distances in metres and the yaw rate
                                    # (layers.pair_channels: a clap, not two hands swaying together; a turn either way; session 14)
    w_prior_path: float = 0.0       # the CVAE's hybrid objective (Sohn et al. 2015, GSNN): decode z drawn from p(z | text) as at
                                    # sampling and judge it phase-free (root + RIC: rFFT magnitudes and a low-passed
                                    # MSE), so prior samples keep speed, turn and amplitude (session 37)
    prior_path_temperature: float = 0.5  # the prior std scale of those draws (the sampling temperature)
    prior_path_sigma: float = 8.0   # low-pass sigma in frames of the prior path's MSE (8 = 0.47 Hz)
    prior_path_bands: bool = False  # compare soft frequency bands, not bins (layers.band_spectral_l2; session 38)
    w_env: float = 0.0              # band envelopes per frame of the RIC, posterior and prior-path decodes vs data
                                    # (.envelope.envelope_l2): the swing kept to the end of a counted span (session 49)
    w_text_cons: float = 0.0        # a variant text's decoder bias and prior mean pulled to its own-wording pair's
                                    # (.text_consistency; context words distract on val, session 41)
    w_kl: float = 0.1               # on the summed KL: 1e-2 left ~40 nats in z and the text ignored
    kl_reduction: str = "sum"       # "sum" over latent dims per sample (standard VAE KL); "mean" = per dim
    kl_free_bits: float = 0.0       # nats per latent dim (batch mean) not penalised: keeps z in use (no collapse)
    w_sparse: float = 0.05          # per-frame max attention; 1e-2 could not lift attention off uniform with w_usage
    w_ortho: float = 1e-2
    w_usage: float = 0.01           # spread of atoms (see layers.atom_usage_gap)
    usage_scope: str = "batch"      # "batch": over the batch's mean attention; "motion": within each motion
    # word-level text path (ATOM's public `use_word_emb`): per-frame positional queries cross-attend the
    # encoder's per-token states + 4 prompt slots (side, direction, speed, reps); replaces the single text bias
    word_emb: bool = False
    word_layers: int = 2
    # p(z | text) learned from the prompt (CVAE prior) instead of N(0, I): lets z carry the phase and
    # timing of repeated actions without the text being ignored at sampling (see models/atom/README.md)
    learned_prior: bool = False
    z_noise: float = 1.0            # scale of the posterior sample's noise in training (1 = the usual VAE);
                                    # below 1 the decoder sees z clearly enough to use it (timing, phase)
    w_segment: float = 0.0          # temporal atoms: each frame's codebook attention nearer its own segment's
                                    # mean than the other segments' (layers.segment_contrast; needs a cache
                                    # with per-frame segment indices)
    sample_temperature: float = 1.0  # scale of the prior's std when sampling z (chosen on the val split:
                                     # scripts/atom_val_predicates.py); training never reads it
    periodic: int = 0               # oscillators on the decoder's frame queries (layers.PeriodicBank); 0 = none
    clock: bool = False             # phase clock on the decoder's frame queries (clock.py, session 18): the
                                    # motion's measured rhythm in training, a drawn one at sampling
    clock_phase: bool = False       # the clock's starting phase read off z (clock.PhaseHead) instead of drawn
    clock_source: str = "drawn"     # sampling: "drawn" (uniform phase, or clock_phase) or "draft": the phase
                                    # that fits a first, clock-free decode of the same z (clock.draft_phase)
    clock_drop: float = 0.0         # training: share of items whose clock is zeroed (the clock-free decode
                                    # that "draft" sampling starts from stays in distribution)
    count_clock: float = 0.0        # sampling, > 0: a count named in the prompt sets the clock's rate, its cycles
                                    # filling this share of the clip (clock.counted_rate); 0 = the text head's rate
    count_clock_band: str = "envelope"  # the band a count retimes: "envelope" (larger) or "nearest" (rate nearest)
    w_clock: float = 0.1            # the clock head's rate / envelope regression from the text
    time_latent: int = 0            # local latents: one small z every this many frames beside the global z
                                    # (time_latent.TimeLatent; 0 = off): timing of repeated actions (session 11)
    time_latent_dim: int = 8        # dims of each local latent
    w_kl_local: float = 1e-3        # on their KL (summed over tokens and dims)
    time_latent_free_bits: float = 0.1  # nats per token dim (batch mean) not penalised: no collapse at the start
    time_latent_ar: bool = False    # their prior also reads the previous token (GRU): coherent timing (session 12)
    dec_text_drop: float = 0.0      # share of training items whose decoder sees z alone (no text bias): the
                                    # decoder must then read the motion from z, which breaks posterior collapse
    drop_enc_text: bool = False     # the encoder also loses the text on those items: z then comes from the
                                    # motion alone (TEMOS's autoencoding path) instead of copying the text
    guidance: float = 1.0           # sampling only: classifier-free guidance on the decoder output (atom_model.guided;
                                    # 1 = off); needs weights trained with dec_text_drop > 0 (session 13)
    # curriculum masked motion modelling
    mask_max: float = 0.5
    mask_schedule: str = "linear"   # constant | linear | square | exponential
    curriculum_end: float = 0.75    # fraction of training where the ratio reaches mask_max; LR x0.1 there


@dataclass
class MDMConfig:
    model_type: str = "mdm"
    feature_dim: int = 263
    text_dim: int = 384
    d_model: int = 128
    layers: int = 8
    heads: int = 4
    ff: int = 512
    dropout: float = 0.0
    max_frames: int = MODEL_MAX_FRAMES
    fps: float = FPS
    diffusion_steps: int = 1000     # training steps, cosine schedule, x0 prediction
    sampling_steps: int = 50        # DDIM (eta = 0) steps at inference
    cond_drop: float = 0.1          # classifier-free guidance training
    guidance: float = 2.5
    w_joint: float = 0.0            # MDM uses no geometric loss on HumanML3D


@dataclass
class TrainConfig:
    steps: int = 3000
    batch_size: int = 32
    lr: float = 4e-4
    weight_decay: float = 0.0
    warmup: int = 100
    lr_drop_at: float = 0.75        # LR x0.1 at this fraction of training (ATOM)
    grad_clip: float = 1.0
    log_every: int = 25
    ckpt_every_s: float = 180.0
    threads: int = 1
    seed: int = 0
    bf16: bool = False
    max_minutes: float = 0.0        # 0 = no wall-clock limit; else stop (and export) after this
    original_share: float = 0.0     # >0: share of batch texts drawn from the corpus's own wording when the cache
                                    # also holds variants (forms, synonyms); 0 = uniform over all (session 29)
    balance_atoms: float = 0.0      # >0: items of rare atoms drawn more often (data.atom_balance_weights power)
    ema_decay: float = 0.0          # >0: also keep an exponential moving average of the weights (Polyak averaging),
                                    # exported beside the model as ``ema/`` (session 43)
    extra: dict = field(default_factory=dict)


# issue 11, session 4: a learned prior p(z | text), an oscillator bank on the frame queries, a spectral
# loss on local joint positions and a clearer posterior sample (models/atom/README.md)
_ATOM_TEXT = dict(word_emb=True, usage_scope="motion", w_kl=1e-4, kl_free_bits=0.0, w_root=1.0,
                  learned_prior=True, periodic=16, w_spec=1.0, z_noise=0.2)
ATOM_CPU = AtomConfig(**_ATOM_TEXT)
ATOM_GPU = AtomConfig(d_model=256, enc_layers=8, dec_layers=8, heads=4, ff=1024, codebook_size=512, dropout=0.1,
                      **_ATOM_TEXT)
MDM_CPU = MDMConfig()
MDM_GPU = MDMConfig(d_model=512, layers=8, heads=4, ff=1024, dropout=0.1)
TRAIN_CPU = TrainConfig()
TRAIN_GPU = TrainConfig(steps=50000, batch_size=128, lr=1e-4, threads=8, bf16=True)


def config_from_dict(d: dict) -> AtomConfig | MDMConfig:
    """AtomConfig or MDMConfig from a dict (unknown keys ignored)."""
    cls = {"atom": AtomConfig, "mdm": MDMConfig}.get(d.get("model_type", "atom"))
    if cls is None:
        raise ValueError(f"unknown model_type {d.get('model_type')!r}")
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in d.items() if k in names})


def save_config(cfg: AtomConfig | MDMConfig, path: str | Path, **extra) -> None:
    Path(path).write_text(json.dumps(dict(asdict(cfg), **extra), indent=1))


def load_config(path: str | Path) -> AtomConfig | MDMConfig:
    return config_from_dict(json.loads(Path(path).read_text()))
