"""'Known words' dialog: the words the text-to-motion model learned, with their closest atoms.

Reads ``models/atom/vocabulary.json`` (:mod:`app.engine.t2m.vocabulary`); a filter box narrows
the table; typing a word that is not there says so.  Words used by fewer training items than the
vocabulary's threshold are not listed (the prompt panel flags them as "not learned").
"""
from __future__ import annotations

import logging

from PySide6.QtWidgets import (QDialog, QHeaderView, QLabel, QLineEdit, QTableWidget, QTableWidgetItem, QVBoxLayout,
                               QWidget)

from app.engine.t2m.vocabulary import Vocabulary, load_vocabulary

log = logging.getLogger(__name__)


class KnownWordsDialog(QDialog):
    """A filterable table: word, training items, closest atoms (family)."""

    def __init__(self, parent: QWidget | None = None, vocabulary: Vocabulary | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Words known to the model")
        self.resize(520, 560)
        self.vocabulary = vocabulary if vocabulary is not None else load_vocabulary()
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("filter, e.g. jump")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self.apply_filter)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["word", "training items", "closest actions"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.filter)
        layout.addWidget(self.table, 1)
        self.rows = self.vocabulary.known_words() if self.vocabulary is not None else []
        self._fill()
        self.apply_filter("")

    def _fill(self) -> None:
        v = self.vocabulary
        self.table.setRowCount(len(self.rows))
        for r, (word, n, atoms) in enumerate(self.rows):
            fams = [f"{a.replace('_', ' ')} ({v.atoms.get(a, {}).get('family', '?')})" for a in atoms]
            count = QTableWidgetItem()
            count.setData(0, int(n))
            for c, item in enumerate((QTableWidgetItem(word), count, QTableWidgetItem(", ".join(fams)))):
                self.table.setItem(r, c, item)

    def apply_filter(self, text: str) -> None:
        """Show the rows whose word (or closest action) contains `text`."""
        text = text.strip().lower()
        shown = 0
        for r, (word, _, atoms) in enumerate(self.rows):
            hit = not text or text in word or any(text in a for a in atoms)
            self.table.setRowHidden(r, not hit)
            shown += hit
        v = self.vocabulary
        if v is None:
            self.summary.setText("No vocabulary for this model (run scripts/build_vocabulary.py).")
        elif text and shown == 0:
            n = v.count(text)
            self.summary.setText(f"'{text}' is not learned ({n} training item{'s' if n != 1 else ''}; "
                                 f"at least {v.min_items} needed).")
        else:
            self.summary.setText(f"{len(self.rows)} words learned from the training texts (each in at least "
                                 f"{v.min_items} training items); {shown} shown. Subjects, numbers, sides, "
                                 f"directions and speeds are always understood.")

    def visible_words(self) -> list[str]:
        return [w for r, (w, _, _) in enumerate(self.rows) if not self.table.isRowHidden(r)]
