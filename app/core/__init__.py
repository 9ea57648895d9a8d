"""Qt-free, torch-free data types and file formats.

World convention used everywhere in Action Studio: metres, Y up, right-handed,
the body faces +Z at frame 0 (so its left side is +X), ground plane is y = 0.
"""
