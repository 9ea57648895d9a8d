"""Jobs panel rows: progress, messages, cancel and final states."""
from __future__ import annotations

from app.engine.jobs import Job, JobState
from app.ui.jobs_panel import JobsPanel, took


def _noop():
    yield 0.0


def test_progress_cancel_and_finish(qtbot):
    panel = JobsPanel()
    qtbot.addWidget(panel)
    job = Job("Render video", _noop, id=7, state=JobState.RUNNING, fraction=0.4, message="frame 40/100")
    panel.update_job(job)
    row = panel.row(job)
    assert row is not None
    assert row.progress.value() == 400
    assert row.message_label.text() == "frame 40/100"
    assert row.state_label.text() == "running"
    row.cancel_button.click()
    assert job.cancel_requested
    assert not row.cancel_button.isEnabled()
    job.state, job.message = JobState.CANCELLED, "cancelled"
    panel.update_job(job)
    assert row.state_label.text() == "cancelled" and row.cancel_button.isHidden()


def test_failed_job_shows_one_line_error(qtbot):
    panel = JobsPanel()
    qtbot.addWidget(panel)
    job = Job("Open x.bvh", _noop, id=1, state=JobState.FAILED, error="x.bvh: no HIERARCHY section")
    panel.update_job(job)
    row = panel.row(job)
    assert row.state_label.text() == "failed"
    assert row.message_label.text() == "x.bvh: no HIERARCHY section"
    done = Job("Pose body", _noop, id=2, state=JobState.DONE)
    panel.update_job(done)
    assert panel.row(done).state_label.text() == "done" and panel.row(done).progress.value() == 1000
    assert list(panel.rows) == [1, 2]


def test_unknown_fraction_is_busy(qtbot):
    panel = JobsPanel()
    qtbot.addWidget(panel)
    job = Job("Prepare", _noop, id=3, state=JobState.RUNNING, fraction=None)
    panel.update_job(job)
    assert panel.row(job).progress.maximum() == 0


def test_panel_follows_bridge(qtbot, engine):
    from app.ui.bridge import EngineBridge

    bridge = EngineBridge(engine)
    panel = JobsPanel(bridge)
    qtbot.addWidget(panel)

    def task():
        yield 0.5, "half way"
        return 1

    with qtbot.waitSignal(bridge.jobFinished, timeout=5000):
        job = bridge.run("Half", task)
    assert panel.row(job).state_label.text() == "done"
    bridge.shutdown()


def test_clear_finished_keeps_running_jobs(qtbot):
    panel = JobsPanel()
    qtbot.addWidget(panel)
    assert not panel.clear_button.isEnabled()  # nothing to clear yet
    running = Job("Analyse clip.mp4", _noop, id=10, state=JobState.RUNNING, fraction=0.2)
    panel.update_job(running)
    assert not panel.clear_button.isEnabled()
    for i, state in enumerate((JobState.DONE, JobState.FAILED, JobState.CANCELLED), start=11):
        panel.update_job(Job(f"job {i}", _noop, id=i, state=state))
    assert panel.clear_button.isEnabled() and len(panel.rows) == 4
    panel.clear_button.click()
    assert list(panel.rows) == [10] and not panel.clear_button.isEnabled()
    assert panel.row(running).parent() is not None  # the running row is still in the list
    running.state = JobState.DONE
    panel.update_job(running)
    menu = panel.context_menu()
    (action,) = [a for a in menu.actions() if a.text().startswith("Clear finished")]
    assert action.isEnabled() and "(1)" in action.text()
    action.trigger()
    assert panel.rows == {}
    assert not panel.context_menu().actions()[0].isEnabled()


def test_long_title_shows_in_full_on_hover(qtbot):
    panel = JobsPanel()
    qtbot.addWidget(panel)
    panel.resize(220, 300)
    panel.show()
    title = "Generate: a person walks forward, turns around, then jumps twice and waves with both hands"
    job = Job(title, _noop, id=5, state=JobState.RUNNING, message="sample 1/4")
    panel.update_job(job)
    row = panel.row(job)
    qtbot.waitExposed(panel)
    metrics = row.name_label.fontMetrics()
    assert metrics.horizontalAdvance(title) > row.name_label.width()  # the title is elided in the row ...
    assert row.name_label.toolTip() == title                          # ... and shown in full on hover,
    assert row.toolTip().startswith(title) and "sample 1/4" in row.toolTip()  # anywhere on the row


def test_done_job_says_how_long_it_took_not_its_last_step(qtbot):
    panel = JobsPanel()
    qtbot.addWidget(panel)
    job = Job("Generate", _noop, id=4, state=JobState.DONE, message="preparing sample 1/1",
              started_at=100.0, finished_at=102.34)
    panel.update_job(job)
    row = panel.row(job)
    assert row.message_label.text() == "took 2.3 s"
    assert "preparing sample 1/1" in row.toolTip()  # the last step stays on hover
    assert took(42.4) == "took 42 s" and took(125) == "took 2 min 05 s"
