"""What an access or portability request's export contains, as files.

`build(case)` reads the database and returns the files, with no side effects (storing them is
dsr.services.exports.export_build's job). Call it in the case's language: every label is
translated as it is built.

- An access request (Art. 15) gets the access report (PDF: the Art. 15(1) and 15(2)
  information, the log of access to the person's data and a copy of the data, see
  dsr.exports.report), the data package (ZIP: the data the person provided, as JSON and CSV,
  plus the complete versions of any table the report shortened, see dsr.exports.package) and
  the same provided data as a web page (dsr.exports.html).
- A portability request (Art. 20) gets the data package and the web page.
"""

import time

from dsr.choices import Right
from dsr.exports.content import export_content
from dsr.exports.files import BuiltExport, BuiltFile
from dsr.exports.html import build_html
from dsr.exports.package import build_package
from dsr.exports.report import build_report

__all__ = ["BuiltExport", "BuiltFile", "build"]


def file_names(reference: str) -> dict[str, str]:
    return {
        "report": f"{reference}-access-report.pdf",
        "package": f"{reference}-data.zip",
        "html": f"{reference}-data.html",
    }


def build(case) -> BuiltExport:
    """The files of `case`'s export and figures about them (rows per table, pages, the tables
    the report left to the package, seconds per part)."""
    started = time.perf_counter()
    content = export_content(case)
    names = file_names(content.reference)
    seconds = {"content": time.perf_counter() - started}
    stats: dict = {
        "rows": {f"{t.system} / {t.label}": t.row_count for t in content.tables},
        "rows_total": content.row_count,
        "access_log_entries": content.access_log.row_count,
        "systems": len(content.systems),
        "systems_open": [s.name for s in content.open_systems],
    }
    files = []
    appendix = []
    if case.right != Right.PORTABILITY:
        mark = time.perf_counter()
        report = build_report(content, name=names["report"])
        seconds["report"] = time.perf_counter() - mark
        files.append(report.file)
        appendix = [shown.table for shown in report.appendix]
        stats["report"] = {
            "pages": report.pages,
            "rows_shown": report.rows_shown,
            "appendix": [
                {"table": t.path, "rows_shown": s.shown, "rows": t.row_count}
                for s, t in zip(report.appendix, appendix, strict=True)
            ],
            "bytes": report.file.size,
        }
    mark = time.perf_counter()
    package, stats["package"] = build_package(content, name=names["package"], appendix=appendix)
    seconds["package"] = time.perf_counter() - mark
    files.append(package)
    mark = time.perf_counter()
    html = build_html(content, name=names["html"])
    seconds["html"] = time.perf_counter() - mark
    files.append(html)
    stats["html"] = {"bytes": html.size}
    seconds["total"] = time.perf_counter() - started
    stats["seconds"] = {key: round(value, 3) for key, value in seconds.items()}
    return BuiltExport(files=files, stats=stats)
