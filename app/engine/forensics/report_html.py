"""Self-contained HTML report (plots as base64 PNG, every text html-escaped) and an
optional multipage PDF (matplotlib)."""
from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import numpy as np

from app.core.errors import InvalidInputError

from .pipeline import ForensicReport
from .report_json import report_dict

VERDICT_COLOURS = {"likely real": "#1b7f3b", "uncertain": "#a66a00", "likely generated": "#b3261e"}


def _plt():
    import matplotlib
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    return plt


def timeline_figure(report: ForensicReport):
    plt = _plt()
    fig, ax = plt.subplots(figsize=(8, 1.8), dpi=90)
    tl = report.verdict.timeline if report.verdict is not None else None
    if tl is not None and len(tl) == len(report.times) and np.isfinite(tl).any():
        ax.fill_between(report.times, np.nan_to_num(tl), color="#d9534f", alpha=0.5, step="mid")
        ax.plot(report.times, tl, color="#b3261e", lw=1)
    else:
        ax.text(0.5, 0.5, "no per-frame evidence", ha="center", va="center", transform=ax.transAxes)
    ax.set_ylim(0, 1)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("suspicion")
    fig.tight_layout()
    return fig


def cue_figure(report: ForensicReport, name: str):
    plt = _plt()
    c = report.cues[name]
    fig, ax = plt.subplots(figsize=(4.2, 1.6), dpi=80)
    ref = c.reference or {}
    pref = ref.get("per_frame") or {}
    if c.per_frame is not None and len(c.per_frame) == len(report.times) and np.isfinite(c.per_frame).any():
        ax.plot(report.times, c.per_frame, lw=1, color="#3366aa")
        if pref.get("hi") is not None:
            ax.axhspan(pref.get("lo", 0), pref["hi"], color="#2e8b57", alpha=0.15, lw=0)
        ax.set_xlabel("time (s)", fontsize=7)
    else:
        if ref.get("lo") is not None:
            ax.axvspan(ref["lo"], ref["hi"], color="#2e8b57", alpha=0.25, lw=0, label="real range")
        if c.measured:
            ax.axvline(c.value, color="#b3261e", lw=2, label="this video")
        ax.set_yticks([])
        ax.set_xlabel("value (green: real range)", fontsize=7)
    ax.tick_params(labelsize=7)
    fig.tight_layout()
    return fig


def _png(fig) -> str:
    plt = _plt()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _f(x) -> str:
    return "–" if x is None else (f"{x:.3g}" if isinstance(x, float) else html.escape(str(x)))


def render_html(report: ForensicReport) -> str:
    """The whole report as one HTML string (no external resources)."""
    e = html.escape
    d = report_dict(report)
    v = d["verdict"]
    colour = VERDICT_COLOURS.get(v, "#444")
    rows = []
    for name, c in d["cues"].items():
        ref = c["reference"] or {}
        rng = f"{_f(ref.get('lo'))} – {_f(ref.get('hi'))}" if ref.get("lo") is not None else "no reference"
        img = f'<img alt="{e(name)}" src="{_png(cue_figure(report, name))}">' if c["measured"] else ""
        status = _f(c["score"]) if c["score"] is not None else e(c["reason"] or "not measured")
        rows.append(f"<tr><td><b>{e(c['label'])}</b><br><code>{e(name)}</code> · {e(c['group'])}</td>"
                    f"<td>{_f(c['value'])}</td><td>{rng}<br><small>{e(str(ref.get('source', '')))}</small></td>"
                    f"<td>{status}</td><td>{img}</td></tr>")
    meta = "".join(f"<tr><th>{e(str(k))}</th><td>{e(str(val))}</td></tr>" for k, val in d["video"].items()
                   if k not in ("warnings",))
    reasons = "".join(f"<li>{e(r)}</li>" for r in d["reasons"])
    warns = "".join(f"<li>{e(w)}</li>" for w in d["warnings"]) or "<li>none</li>"
    score = d["authenticity_score"]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Forensic report – {e(report.video.name)}</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}}
table{{border-collapse:collapse;width:100%}}td,th{{border-bottom:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top;font-size:13px}}
.verdict{{font-size:1.6em;color:{colour};font-weight:bold}}small{{color:#666}}</style></head><body>
<h1>Authenticity report: {e(report.video.name)}</h1>
<p class="verdict">{e(v)} — {_prob(d)}authenticity {_f(score)} (1 = real), confidence {_f(d['confidence'])}</p>
<p>Evidence measured: {e(', '.join(d.get('families_measured') or []) or 'none')} (coverage {_f(d['coverage'])}).
{'' if d['complete'] else '<b>Partial report: analysis did not finish.</b>'}</p>
<h2>Main reasons</h2><ul>{reasons}</ul>
<h2>Suspicion over time</h2><img alt="timeline" src="{_png(timeline_figure(report))}">
<h2>Cues</h2><table><tr><th>cue</th><th>value</th><th>reference range (real)</th><th>score / status</th><th>plot</th></tr>
{''.join(rows)}</table>
<h2>Warnings and limits</h2><ul>{warns}</ul>
<h2>Video</h2><table>{meta}</table>
<p><small>{e(d['generator'])}. Scores come from cues with physical meaning compared with reference ranges
from real motion capture and rigid scenes; they are evidence, not proof.</small></p>
</body></html>"""


def write_html(report: ForensicReport, path: str | Path) -> Path:
    p = Path(path)
    tmp = p.with_name(f".{p.name}.tmp")
    text = render_html(report)
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(p)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InvalidInputError(f"{p.name}: cannot write the report ({_reason(exc)})") from exc
    return p


def write_pdf(report: ForensicReport, path: str | Path) -> Path:
    """A multipage PDF: summary + timeline, then the measured cues' plots.

    Texts are drawn literally (``parse_math=False``): a file name with ``$`` is not mathtext.
    The file is written atomically; a failure raises :class:`InvalidInputError` naming the file.
    """
    p = Path(path)
    tmp = p.with_name(f".{p.name}.tmp")
    try:
        _write_pdf(report, tmp)
        tmp.replace(p)
    except (OSError, ValueError, RuntimeError) as exc:
        tmp.unlink(missing_ok=True)
        raise InvalidInputError(f"{p.name}: cannot write the PDF report ({_reason(exc)})") from exc
    return p


def _reason(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _write_pdf(report: ForensicReport, path: Path) -> None:
    plt = _plt()
    from matplotlib.backends.backend_pdf import PdfPages

    d = report_dict(report)
    with PdfPages(str(path)) as pdf:
        fig = plt.figure(figsize=(8.27, 11.69))
        lines = [f"Authenticity report: {report.video.name}", "",
                 f"Verdict: {d['verdict']}  {_prob(d)}authenticity {_f(d['authenticity_score'])}  "
                 f"confidence {_f(d['confidence'])}",
                 ""] + [f"- {r}" for r in d["reasons"]] + ["", "Cues:"]
        for name, c in d["cues"].items():
            ref = c["reference"] or {}
            lines.append(f"  {name}: {_f(c['value'])}  real {_f(ref.get('lo'))}-{_f(ref.get('hi'))}  "
                         f"score {_f(c['score']) if c['score'] is not None else (c['reason'] or '')}"[:110])
        lines += ["", "Warnings:"] + [f"- {w}"[:110] for w in d["warnings"]]
        fig.text(0.05, 0.97, "\n".join(lines), va="top", family="monospace", fontsize=7, parse_math=False)
        pdf.savefig(fig)
        plt.close(fig)
        fig = timeline_figure(report)
        pdf.savefig(fig)
        plt.close(fig)
        for name, c in report.cues.items():
            if c.measured:
                fig = cue_figure(report, name)
                fig.suptitle(c.label, fontsize=8, parse_math=False)
                pdf.savefig(fig)
                plt.close(fig)


def _prob(d: dict) -> str:
    p = d.get("probability_generated")
    return "" if p is None else f"calibrated P(generated) {_f(p)}, "
