"""Text to motion: ATOM (CVAE with an atomic-action codebook) and an MDM-style diffusion baseline.

Entry point: ``pipeline.TextToMotionPipeline.from_pretrained("models/atom").generate(text, seconds, seed)``.
Training: ``train.train`` (scripts/train_atom.py, scripts/train_mdm.py); evaluation: ``evaluation``.
"""
