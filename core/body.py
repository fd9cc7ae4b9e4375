"""The request body limit (``ASGI_COMPARE_MAX_BODY_BYTES``): a longer body is refused with 413
while it is read, over ASGI and on Sanic's own server alike (:func:`read_body`)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterable, Iterable
from contextlib import aclosing

from core.errors import BodyTooLarge
from core.head import Message, Receive

__all__ = ["BODYLESS", "DRAIN_BYTES", "limited", "read_body"]

BODYLESS = frozenset(("GET", "HEAD", "OPTIONS"))  # no route here reads a body for these
# A body over the limit is still read, and thrown away, up to this many bytes before the 413 is
# sent: a server that closes a connection with unread bytes makes the kernel reset it, and a
# client (or nginx) still sending then loses the answer (a ReadError, or nginx's 502). Past
# this, the server closes the connection, as nginx does after its own lingering close.
DRAIN_BYTES = 64 * 1024 * 1024


async def read_body(chunks: AsyncIterable[bytes], limit: int) -> bytes:
    """A request body, as its chunks arrive, refused with :class:`BodyTooLarge` past ``limit``.

    Nothing past ``limit`` bytes is kept. A longer body is read on and thrown away, up to
    ``DRAIN_BYTES`` more, before the refusal, so that its answer reaches a client still sending.
    """
    kept: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size <= limit:
            kept.append(chunk)
        elif size > limit + DRAIN_BYTES:
            break
    if size > limit:
        raise BodyTooLarge(limit)
    return b"".join(kept)


async def limited(
    receive: Receive, headers: Iterable[tuple[bytes, bytes]], limit: int
) -> tuple[bytes | None, Receive]:
    """The body, read up front by :func:`read_body`, and a ``receive`` that hands it on as one
    message; the body is None when the client went away before it ended."""
    for name, value in headers:
        if name.lower() == b"content-length":
            if value.strip() == b"0":
                return b"", receive  # nothing to read: leave the server's messages alone
            break
    gone: Message | None = None  # the client went away mid-body: passed on as it came

    async def chunks() -> AsyncGenerator[bytes, None]:
        nonlocal gone
        while True:
            message = await receive()
            if message["type"] != "http.request":
                gone = message
                return
            yield message.get("body", b"")
            if not message.get("more_body", False):
                return

    async with aclosing(chunks()) as body_chunks:
        body = await read_body(body_chunks, limit)
    first = gone or {"type": "http.request", "body": body, "more_body": False}
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()  # after the body: the server's http.disconnect
        replayed = True
        return first

    return (None if gone else body), replay
