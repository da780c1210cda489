"""A draft in a link: compressed, URL-safe, bounded, so an instructor can hand out a prepared draft.

zlib and URL-safe base64 from the standard library: a 20-line loop becomes about 400 characters.
A link holds at most ``MAX_LINK`` characters (well inside what browsers and proxies accept in a
URL); decoding refuses anything else with a message, never a traceback.
"""

from __future__ import annotations

import base64
import binascii
import zlib

MAX_LINK = 6_000  # characters of the encoded draft in a URL
MAX_DRAFT = 20_000  # characters of the draft a link may unpack to


class LinkError(ValueError):
    """A link's draft that cannot be read back: why, in words."""


def encode(code: str) -> str | None:
    """The draft as a link parameter; None when it is too long for a link."""
    packed = base64.urlsafe_b64encode(zlib.compress(code.encode("utf-8"), 9)).decode("ascii").rstrip("=")
    return packed if len(packed) <= MAX_LINK else None


def decode(text: str) -> str:
    """The draft a link parameter holds; LinkError if it holds none."""
    if len(text) > MAX_LINK:
        raise LinkError(f"The link's draft is {len(text):,} characters long; a link holds up to {MAX_LINK:,}.")
    try:
        packed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        unpacker = zlib.decompressobj()
        raw = unpacker.decompress(packed, MAX_DRAFT * 4 + 1)
        if unpacker.unconsumed_tail:
            raise LinkError(f"The link's draft unpacks to more than {MAX_DRAFT:,} characters.")
        if not unpacker.eof:  # empty, or cut short: no complete compressed stream
            raise zlib.error("incomplete")
        code = raw.decode("utf-8")
    except (binascii.Error, zlib.error, UnicodeDecodeError, ValueError) as error:
        if isinstance(error, LinkError):
            raise
        raise LinkError("The link's draft could not be read: the link may have been cut short.") from None
    if len(code) > MAX_DRAFT:
        raise LinkError(f"The link's draft unpacks to more than {MAX_DRAFT:,} characters.")
    return code
