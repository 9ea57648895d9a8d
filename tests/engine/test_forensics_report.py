"""Scoring, reports (JSON schema, escaped HTML, CSV, PDF) and bad input on small videos."""
from __future__ import annotations

import json

import numpy as np
import pytest

from app.core.errors import InvalidInputError
from app.engine.forensics import report_html, report_json, scoring, synth
from app.engine.forensics.pipeline import inspect_video, run_inspection, StageResult
from app.engine.forensics.video_io import probe_video

REF = {"a": {"lo": 0.0, "hi": 1.0, "p1": 0.0, "p99": 1.5, "direction": "high"}}


def test_suspicion_is_zero_inside_and_grows_outside():
    r = REF["a"]
    vals = [scoring.suspicion(v, r) for v in (0.5, 1.0, 1.5, 2.0, 4.0)]
    assert vals[0] == 0.0 and vals[1] == 0.0
    assert 0.3 < vals[2] < 0.5 and vals[2] < vals[3] < vals[4] <= 1.0
    low = dict(r, direction="low")
    assert scoring.suspicion(-1.0, low) > 0.5 and scoring.suspicion(5.0, low) == 0.0


def test_missing_evidence_never_becomes_a_verdict():
    cues = [scoring.Cue("jerk", "body", "x", None, reason="no person detected")]
    v = scoring.combine(cues, 10)
    assert v.verdict == "uncertain" and v.confidence == 0.0 and v.authenticity == 0.5
    few = [scoring.score_cue(scoring.Cue("jerk", "body", "x", 9.0), REF["a"])]
    v = scoring.combine(few, 10)
    assert v.verdict == "uncertain" and v.confidence <= 0.2


def test_strong_outliers_lower_the_score():
    def verdict(values):
        cues = [scoring.score_cue(scoring.Cue(n, "body", n, v, per_frame=np.full(4, v)), REF["a"])
                for n, v in zip(("bone_length_cv", "jerk", "lr_asymmetry", "epipolar_residual"), values)]
        return scoring.combine(cues, 4)
    good, bad = verdict([0.5, 0.5, 0.5, 0.5]), verdict([5.0, 4.0, 0.5, 6.0])
    assert good.verdict == "likely real" and bad.verdict == "likely generated"
    assert bad.authenticity < good.authenticity
    assert np.nanmean(bad.timeline) > np.nanmean(good.timeline)
    assert any("above the range" in r for r in bad.reasons)
    assert good.reasons == ["All 4 measured cues lie within the ranges of real material."]
    slight = verdict([0.5, 0.5, 0.5, 1.05])  # a little above one range: no reason of its own, but not "all within"
    assert slight.verdict == "likely real" and "1 of 4 are slightly outside" in slight.reasons[0]


@pytest.fixture(scope="module")
def small_video(tmp_path_factory):
    from app.viewers.video import write_video
    t = np.linspace(0, 1, 24)
    joints = np.zeros((24, 22, 3))
    joints[:, :, 1] = np.linspace(0, 1.7, 22)[None]
    joints[:, :, 0] = 0.2 * t[:, None]
    frames, _ = synth.render_video(joints, synth.SceneSpec(width=160, height=120))
    folder = tmp_path_factory.mktemp("vids")
    path = folder / "clip <b>&amp;.mp4"
    write_video(frames, path, 20.0)
    return path


def test_pipeline_yields_stages_and_writes_reports(small_video, tmp_path):
    gen = inspect_video(small_video, reference={}, use_colmap=False, calibrated=False)
    stages = []
    while True:
        try:
            item = next(gen)
        except StopIteration as stop:
            rep = stop.value
            break
        if isinstance(item, StageResult):
            stages.append(item.stage)
    assert stages == ["decode", "body", "appearance", "pixel", "scene", "verdict"]
    assert rep.complete and rep.num_frames == 24
    d = report_json.report_dict(rep)
    for key in ("authenticity_score", "verdict", "cues", "video", "warnings", "timeline"):
        assert key in d
    assert set(d["cues"]["flicker"]) >= {"value", "reference", "score", "per_frame"}
    assert d["verdict"] == "uncertain"  # no reference table: nothing is scored
    json.loads(json.dumps(d))
    html_text = report_html.render_html(rep)
    assert "clip &lt;b&gt;&amp;amp;.mp4" in html_text and "<b>&amp;" not in html_text
    assert "data:image/png;base64," in html_text and "http" not in html_text.split("<body>")[1].split("Action Studio")[0]
    report_json.write_json(rep, tmp_path / "r.json")
    report_html.write_pdf(rep, tmp_path / "r.pdf")
    assert (tmp_path / "r.pdf").read_bytes()[:4] == b"%PDF"
    row = report_json.csv_row(rep, small_video.name)
    assert row["verdict"] == "uncertain" and row["frames"] == 24


def test_bad_inputs_give_clear_messages(tmp_path):
    text = tmp_path / "notes.mp4"
    text.write_text("not a video at all")
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    for p, message in ((text, "notes.mp4: not a readable video"), (empty, "empty.mp4: empty file (0 bytes)"),
                       (tmp_path / "missing.mp4", "missing.mp4: no such file")):
        with pytest.raises(InvalidInputError) as exc:
            probe_video(p)
        assert str(exc.value) == message


def test_truncated_file_and_single_frame_gif(small_video, tmp_path):
    import imageio.v2 as imageio
    data = small_video.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    rep = run_inspection(cut, reference={}, use_colmap=False, with_pose=False)  # the first half still decodes
    assert rep.complete and 0 < rep.num_frames < 24
    assert any("frames decodable (truncated file?)" in w for w in rep.warnings)
    gif = tmp_path / "one.gif"
    imageio.mimsave(gif, [np.full((64, 64, 3), 128, np.uint8)])
    rep = run_inspection(gif, reference={}, use_colmap=False)
    assert rep.num_frames == 1 and rep.verdict.verdict == "uncertain"
    assert any("only 1 frame" in w for w in rep.warnings)
    one_frame_ok = {"upsampling_peaks", "residual_level", "residual_spatial_corr", "latent_grid_peak",
                    "noise_brightness_slope"}          # spatial statistics of a single frame
    assert all(not c.measured for c in rep.cues.values() if c.name not in one_frame_ok)
    assert not rep.cues["residual_temporal_corr"].measured and not rep.cues["frame_accel_ratio"].measured


def _tiny_report(name: str):
    from app.engine.forensics.pipeline import ForensicReport
    from app.engine.forensics.scoring import Cue, Verdict
    from app.engine.forensics.video_io import VideoInfo

    rep = ForensicReport(video=VideoInfo(name, name, 1, 64, 64, 25.0, 10, 0.4),
                         verdict=Verdict(0.5, "uncertain", 0.0, 0.5), complete=True)
    rep.cues["jerk"] = Cue("jerk", "body", "jerk $x_1$", 1.0, per_frame=None)
    rep.warnings.append(f"{name}: a warning with $a_b_c$ in it")
    return rep


@pytest.mark.parametrize("name", ["clip_$a_b_c$.mp4", "x$\\frac$y.mp4", "$^$.mp4", "100$ & <b>.mp4"])
def test_pdf_report_takes_dollar_signs_literally(name, tmp_path):
    out = report_html.write_pdf(_tiny_report(name), tmp_path / name.replace(".mp4", ".pdf"))
    assert out.read_bytes()[:4] == b"%PDF" and not list(tmp_path.glob(".*.tmp"))


def test_pdf_report_write_failure_is_a_clear_error(tmp_path):
    with pytest.raises(InvalidInputError, match="r.pdf: cannot write the PDF report"):
        report_html.write_pdf(_tiny_report("a.mp4"), tmp_path / "missing" / "r.pdf")
    with pytest.raises(InvalidInputError, match="r.html: cannot write the report"):
        report_html.write_html(_tiny_report("a.mp4"), tmp_path / "missing" / "r.html")
