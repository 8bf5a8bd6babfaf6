"""Mail from files, for ``zabota ingest``: .eml files, mbox files, Maildir directories and
directories of .eml files (searched recursively), in a stable order so that a re-run walks the
same messages in the same order (and finds each one already received).

Each message comes with its ``source`` as stored on ``InboundEmail`` (the file's path, or
``mbox:<path>:<n>`` for the n-th message of an mbox, counting from 1) and the label used in
``--report`` (the path, or ``mbox:<n>``; ``mbox:<path>:<n>`` when several mbox files are read).
"""

from __future__ import annotations

import mailbox
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass
class FileMessage:
    source: str
    label: str
    raw: bytes


class NotMail(ValueError):
    """A path that is neither a message, an mbox, a Maildir nor a directory."""


def _is_maildir(path: Path) -> bool:
    return all((path / sub).is_dir() for sub in ("cur", "new", "tmp"))


def _is_mbox(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(5) == b"From "


@dataclass
class _Input:
    kind: str  # eml | mbox
    path: Path


def _expand(paths: list[Path]) -> list[_Input]:
    found: list[_Input] = []
    for path in paths:
        if path.is_dir():
            if _is_maildir(path):
                # Delivered (new/) and seen (cur/) mail; tmp/ holds deliveries still being written.
                for sub in ("new", "cur"):
                    found.extend(_Input("eml", p) for p in sorted((path / sub).iterdir()) if p.is_file())
            else:
                for p in sorted(path.rglob("*")):
                    if p.is_file() and p.suffix.lower() == ".eml":
                        found.append(_Input("eml", p))
                    elif p.is_dir() and _is_maildir(p):
                        found.extend(_expand([p]))
        elif path.is_file():
            found.append(_Input("mbox" if _is_mbox(path) else "eml", path))
        else:
            raise NotMail(f"{path}: no such file or directory")
    return found


class MailFiles:
    """The messages under ``paths``; ``len()`` counts them without reading them all."""

    def __init__(self, paths: list[str]) -> None:
        self.inputs = _expand([Path(p) for p in paths])
        self._mboxes: dict[Path, mailbox.mbox] = {}
        self.several_mboxes = sum(1 for i in self.inputs if i.kind == "mbox") > 1

    def _mbox(self, path: Path) -> mailbox.mbox:
        if path not in self._mboxes:
            self._mboxes[path] = mailbox.mbox(path, create=False)
        return self._mboxes[path]

    def __len__(self) -> int:
        return sum(len(self._mbox(i.path)) if i.kind == "mbox" else 1 for i in self.inputs)

    def __iter__(self) -> Iterator[FileMessage]:
        for item in self.inputs:
            if item.kind == "eml":
                yield FileMessage(str(item.path), str(item.path), item.path.read_bytes())
                continue
            box = self._mbox(item.path)
            for n, key in enumerate(box.keys(), start=1):
                label = f"mbox:{item.path}:{n}" if self.several_mboxes else f"mbox:{n}"
                yield FileMessage(f"mbox:{item.path}:{n}", label, box.get_bytes(key))

    def close(self) -> None:
        for box in self._mboxes.values():
            box.close()
