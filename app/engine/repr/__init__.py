"""Motion representations for learning: HumanML3D-style 263-dim features and their normaliser."""
from .humanml3d import (FEATURE_DIM, canonicalize, clip_to_features, features_to_clip,
                        features_to_joints)
from .normalizer import Normalizer

__all__ = ["FEATURE_DIM", "Normalizer", "canonicalize", "clip_to_features", "features_to_clip",
           "features_to_joints"]
