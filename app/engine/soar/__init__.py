"""The RGB route of action recognition: SOAR (scene-debiasing open-set action recognition).

Rendered, scene-biased clips of corpus atoms (:mod:`.render`, :mod:`.scenes`, :mod:`.data`), a
small (2+1)D video network with an evidential head and adversarial scene reconstruction and
classification (:mod:`.model`, :mod:`.losses`), training (:mod:`.train`), evaluation
(:mod:`.evaluate`) and video inference (:mod:`.pipeline`).  See docs/recognition.md.
"""
