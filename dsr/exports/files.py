"""What an export build hands back: files as bytes with their names, and figures about them."""

import hashlib
from dataclasses import dataclass, field
from functools import cached_property


@dataclass(frozen=True)
class BuiltFile:
    """One file for the requester. `kind` is a dsr.choices.ExportFileKind value."""

    kind: str
    name: str
    content_type: str
    data: bytes

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class BuiltExport:
    """The files of one export and figures about how it was built (stored on the ExportJob)."""

    files: list[BuiltFile] = field(default_factory=list)
    stats: dict = field(default_factory=dict)

    def file(self, kind: str) -> BuiltFile | None:
        return next((f for f in self.files if f.kind == kind), None)
