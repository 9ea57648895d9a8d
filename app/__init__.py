"""Action Studio: text-to-motion, 2.5D/multi-view preview, forensics and action recognition."""
__version__ = "0.1.0"
