"""Reading generated PDFs back as text, as a reader's tools do (poppler's pdftotext)."""

import re
import subprocess


def pdf_text(content: bytes, *, crop_mm: tuple[float, float, float, float] | None = None) -> str:
    """The PDF's text, whitespace collapsed (poppler's pdftotext); `crop_mm` = (x, y, width,
    height) of page 1 in millimetres reads only that area."""
    command = ["/usr/bin/pdftotext", "-enc", "UTF-8"]
    if crop_mm:
        x, y, width, height = (round(v * 72 / 25.4) for v in crop_mm)
        command += ["-f", "1", "-l", "1", "-x", str(x), "-y", str(y)]
        command += ["-W", str(width), "-H", str(height)]
    result = subprocess.run([*command, "-", "-"], input=content, capture_output=True, check=True)
    return " ".join(result.stdout.decode().split())


def pdf_pages(content: bytes) -> list[str]:
    """The PDF's text, page by page, whitespace collapsed (poppler's pdftotext)."""
    result = subprocess.run(
        ["/usr/bin/pdftotext", "-enc", "UTF-8", "-", "-"],
        input=content,
        capture_output=True,
        check=True,
    )
    pages = result.stdout.decode().split("\f")
    return [" ".join(page.split()) for page in pages if page.strip()]


def pdf_body_pages(content: bytes) -> list[str]:
    """Like pdf_pages, without the running header and footer in the page margins (A4, top
    24 mm and bottom 22 mm as templates/pdf/base.html sets them), so that text flowing from
    one page to the next reads as one."""
    top, bottom = 68, 62  # points
    result = subprocess.run(
        [
            "/usr/bin/pdftotext",
            "-enc",
            "UTF-8",
            "-x",
            "0",
            "-y",
            str(top),
            "-W",
            "595",
            "-H",
            str(842 - top - bottom),
            "-",
            "-",
        ],
        input=content,
        capture_output=True,
        check=True,
    )
    pages = result.stdout.decode().split("\f")
    return [" ".join(page.split()) for page in pages if page.strip()]


def squash(text: str) -> str:
    """Text without whitespace: pdftotext breaks lines wherever the layout wrapped them."""
    return "".join(str(text).split())


def squash_words(text: str) -> str:
    """Text without spaces and hyphens: pdftotext joins a word broken at a hyphen."""
    return re.sub(r"[\s-]", "", text)
