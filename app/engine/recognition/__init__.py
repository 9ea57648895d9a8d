"""Action recognition and weakly supervised temporal localisation on the skeleton route.

A-TSCN: a pose stream and a motion stream (dilated temporal conv nets), each with a frame
attention and a class activation sequence trained from video-level atom sets only; late
fusion into frame-level pseudo ground truth, refined iteratively; an evidential head whose
uncertainty (K / S) marks actions the model never learned as "unknown".

Entry point: ``pipeline.RecognitionPipeline.from_pretrained("models/recognition").recognize(clip)``.
"""
