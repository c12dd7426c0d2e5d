"""Content-Encoding decoded in bounded steps (pure).

httpx decompresses each network chunk in one call, and applies stacked encodings one after the
other on whole chunks: a 64 KB chunk of a gzip bomb becomes tens of megabytes at once, and
``gzip, gzip`` multiplies that again. Here every decompressor is asked for at most ``cap + 1`` bytes
per call, leftovers are kept for the next call, and decoding stops as soon as the decoded size
passes the cap — so memory stays near the cap whatever the compression ratio.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

SUPPORTED = ("gzip", "x-gzip", "deflate", "identity")


class TooLarge(Exception):
    pass


class UnsupportedEncoding(Exception):
    pass


class _Stage:
    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        # 32 + 15: gzip or zlib header, detected; raw deflate is tried when a "deflate" has no header
        self.d = zlib.decompressobj(32 + 15)
        self.tried_raw = False

    def feed(self, data: bytes, limit: int) -> Iterator[bytes]:
        """Decompressed output of ``data``, in pieces of at most ``limit`` bytes."""
        while data:
            try:
                out = self.d.decompress(data, limit)
            except zlib.error:
                if self.encoding == "deflate" and not self.tried_raw:
                    self.tried_raw = True
                    self.d = zlib.decompressobj(-15)
                    continue
                raise
            if out:
                yield out
            data = self.d.unconsumed_tail
            if self.d.eof:
                return


class BoundedDecoder:
    """Decode a response body declared with ``content_encoding``, never producing more than ``cap``."""

    def __init__(self, content_encoding: str, cap: int) -> None:
        encodings = [e.strip().lower() for e in content_encoding.split(",") if e.strip()]
        unknown = [e for e in encodings if e not in SUPPORTED]
        if unknown:
            raise UnsupportedEncoding(unknown[0])
        # applied in order by the server: undone in reverse
        self.stages = [_Stage(e) for e in reversed(encodings) if e != "identity"]
        self.cap = cap
        self.size = 0

    def feed(self, chunk: bytes) -> list[bytes]:
        pieces = [chunk]
        for stage in self.stages:
            nxt: list[bytes] = []
            produced = 0
            for piece in pieces:
                for out in stage.feed(piece, self.cap + 1):
                    nxt.append(out)
                    produced += len(out)
                    if produced > self.cap:  # no stage may hold more than the cap
                        raise TooLarge()
            pieces = nxt
        self.size += sum(len(p) for p in pieces)
        if self.size > self.cap:
            raise TooLarge()
        return pieces
