"""What changed between two versions of the privacy policy, for people to read.

Paragraphs are compared first (added, removed, unchanged); a changed paragraph is shown word
by word, so a reader sees exactly which words moved.
"""

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class Piece:
    text: str
    kind: str  # "same", "added" or "removed"


@dataclass(frozen=True)
class Paragraph:
    kind: str  # "same", "added", "removed" or "changed"
    pieces: list[Piece]


def _paragraphs(text: str) -> list[str]:
    return [
        " ".join(block.split())
        for block in text.replace("\r\n", "\n").split("\n\n")
        if block.strip()
    ]


def _words(old: str, new: str) -> list[Piece]:
    a, b = old.split(" "), new.split(" ")
    pieces: list[Piece] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            pieces.append(Piece(" ".join(a[i1:i2]), "same"))
            continue
        if i2 > i1:
            pieces.append(Piece(" ".join(a[i1:i2]), "removed"))
        if j2 > j1:
            pieces.append(Piece(" ".join(b[j1:j2]), "added"))
    return pieces


def compare(old_text: str, new_text: str) -> list[Paragraph]:
    old, new = _paragraphs(old_text), _paragraphs(new_text)
    result: list[Paragraph] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            result.extend(Paragraph("same", [Piece(p, "same")]) for p in old[i1:i2])
        elif tag == "replace" and (i2 - i1) == (j2 - j1):
            result.extend(
                Paragraph("changed", _words(o, n))
                for o, n in zip(old[i1:i2], new[j1:j2], strict=True)
            )
        else:
            result.extend(Paragraph("removed", [Piece(p, "removed")]) for p in old[i1:i2])
            result.extend(Paragraph("added", [Piece(p, "added")]) for p in new[j1:j2])
    return result


def has_changes(paragraphs: list[Paragraph]) -> bool:
    return any(p.kind != "same" for p in paragraphs)
