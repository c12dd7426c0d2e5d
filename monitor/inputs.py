"""Inputs for ``rasad match``: local .txt/.html files and URLs → :class:`Article` (I/O at the edge)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from monitor.errors import ExtractError, RasadError
from monitor.extract import extract_page
from monitor.fetch import Fetcher, Limits
from monitor.model import Article
from monitor.netguard import PermissivePolicy

MAX_PAGE = 10_000_000


async def read_inputs(inputs: Sequence[str]) -> list[tuple[str, Article | None, str | None]]:
    """(input, article, error) for each input, in order; one bad input does not stop the others."""
    out: list[tuple[str, Article | None, str | None]] = []
    fetcher: Fetcher | None = None
    try:
        for name in inputs:
            try:
                if name.startswith(("http://", "https://")):
                    # a URL the operator typed: the private-address guard is for what feeds link to
                    fetcher = fetcher or Fetcher(Limits(), policy=PermissivePolicy())
                    resp = await fetcher.get(name, max_size=MAX_PAGE, accept="text/html, */*;q=0.1")
                    out.append((name, from_html(resp.content, resp.url, name), None))
                else:
                    out.append((name, from_file(Path(name)), None))
            except RasadError as exc:
                out.append((name, None, str(exc)))
            except OSError as exc:
                out.append((name, None, exc.strerror or str(exc)))
    finally:
        if fetcher is not None:
            await fetcher.aclose()
    return out


def from_file(path: Path) -> Article:
    data = path.read_bytes()
    if path.suffix.lower() in (".html", ".htm", ".xhtml"):
        return from_html(data, path.resolve().as_uri(), str(path))
    text = data.decode("utf-8", errors="replace").lstrip("\ufeff")
    title, _, body = text.partition("\n")
    return Article(
        key=str(path),
        url=str(path),
        source=path.parent.name or "local",
        title=title.strip(),
        summary="",
        body=body.strip(),
        published=None,
    )


def from_html(page: bytes, url: str, name: str) -> Article:
    extracted = extract_page(page, url)
    if extracted is None:
        raise ExtractError(f"{name}: no article text found in the page")
    return Article(
        key=url,
        url=url,
        source=name,
        title=extracted.title,
        summary="",
        body=extracted.body,
        published=extracted.published,
    )
