"""Files: uploads checked like Telegram checks them, reusable file_ids, fake user media."""

from __future__ import annotations

import io
import mimetypes
from dataclasses import dataclass

from PIL import Image, ImageSequence, UnidentifiedImageError

from bot.emulator import errors
from bot.emulator.errors import ApiError, bad_request
from bot.emulator.params import Params, Upload
from bot.emulator.state import JSON, StoredFile
from bot.emulator.world import World

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_PHOTO_SIDES = 10_000
MAX_ASPECT = 20
PHOTO_STEPS = (90, 320, 800, 1280)
THUMBNAIL_SIDE = 320  # Telegram's thumbnails of animations and videos fit in 320 x 320
FOLDERS = {
    "photo": "photos",
    "animation": "animations",
    "document": "documents",
    "sticker": "stickers",
    "voice": "voice",
}
TYPE_NAMES = {
    "photo": "Photo",
    "animation": "Animation",
    "document": "Document",
    "sticker": "Sticker",
    "voice": "Voice",
}


def photo_sizes(width: int, height: int) -> list[tuple[int, int]]:
    """Return the sizes Telegram keeps for a photo: thumbnails up to a 1280 px longest side."""
    longest = max(width, height)
    sizes: list[tuple[int, int]] = []
    for step in PHOTO_STEPS:
        scale = min(1.0, step / longest)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        if size not in sizes:
            sizes.append(size)
        if scale == 1.0:
            break
    return sizes


def _image_size(data: bytes) -> tuple[int, int] | None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            return image.size
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return None


@dataclass(frozen=True)
class Gif:
    """What Telegram works out from a GIF it turns into an MP4 animation."""

    width: int
    height: int
    duration: int  # whole seconds, as the Bot API gives it
    thumbnail: bytes  # the first frame as a JPEG, at most 320 px a side


def _gif(data: bytes) -> Gif | None:
    """Read a GIF's size, length and first frame; None if ``data`` is not a GIF."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "GIF":
                return None
            width, height = image.size
            frames = ImageSequence.Iterator(image)
            total_ms = sum(int(frame.info.get("duration", 0)) for frame in frames)
            image.seek(0)
            first = image.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        return None
    first.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    buffer = io.BytesIO()
    first.save(buffer, format="JPEG", quality=70)
    return Gif(width, height, round(total_ms / 1000), buffer.getvalue())


def _store_thumbnail(world: World, jpeg: bytes) -> JSON:
    """Keep a thumbnail as a file of its own and return its PhotoSize."""
    file_id, unique, number = world.new_file_ids(kind="thumbnail")
    width, height = _image_size(jpeg) or (0, 0)
    world.add_file(
        StoredFile(
            file_id=file_id,
            file_unique_id=unique,
            kind="thumbnail",
            data=jpeg,
            file_path=f"thumbnails/file_{number}.jpg",
            mime_type="image/jpeg",
            width=width,
            height=height,
        )
    )
    return {
        "file_id": file_id,
        "file_unique_id": unique,
        "file_size": len(jpeg),
        "width": width,
        "height": height,
    }


def _path(kind: str, number: int, name: str | None, mime: str | None) -> str:
    ext = ""
    if name and "." in name:
        ext = name.rsplit(".", 1)[1]
    elif mime:
        ext = (mimetypes.guess_extension(mime) or "").lstrip(".")
    if kind == "photo":
        ext = "jpg"
    return f"{FOLDERS.get(kind, 'documents')}/file_{number}" + (f".{ext}" if ext else "")


def store_photo(world: World, data: bytes) -> StoredFile:
    """Check a photo upload (size, dimensions, ratio) and store it with its PhotoSize list."""
    if not data:
        raise bad_request("file must be non-empty")
    if len(data) > MAX_PHOTO_BYTES:
        raise bad_request("PHOTO_SAVE_FILE_INVALID")
    size = _image_size(data)
    if size is None:
        raise bad_request("IMAGE_PROCESS_FAILED")
    width, height = size
    if width + height > MAX_PHOTO_SIDES or max(width, height) > MAX_ASPECT * min(width, height):
        raise bad_request("PHOTO_INVALID_DIMENSIONS")
    sizes: list[JSON] = []
    first: StoredFile | None = None
    for variant, (w, h) in enumerate(photo_sizes(width, height)):
        file_id, unique, number = world.new_file_ids(variant)
        stored = StoredFile(
            file_id=file_id,
            file_unique_id=unique,
            kind="photo",
            data=data,
            file_path=_path("photo", number, None, None),
            mime_type="image/jpeg",
            width=w,
            height=h,
        )
        world.add_file(stored)
        first = first or stored
        sizes.append(
            {
                "file_id": file_id,
                "file_unique_id": unique,
                "file_size": max(1, len(data) * w * h // (width * height)),
                "width": w,
                "height": h,
            }
        )
    for entry in sizes:
        world.files[entry["file_id"]].sizes = sizes
    assert first is not None
    return first


def store_file(
    world: World,
    kind: str,
    upload: Upload,
    *,
    width: int = 0,
    height: int = 0,
    duration: int = 0,
) -> StoredFile:
    """Store a non-photo upload (animation, document, sticker, voice).

    Telegram keeps a GIF sent as an animation as an MP4 it makes of it: the Animation
    (and its Document) then says ``video/mp4``, names the file ``<name>.gif.mp4``,
    gives the GIF's size and length in seconds, and carries a thumbnail.
    """
    if not upload.data:
        raise bad_request("file must be non-empty")
    if len(upload.data) > MAX_FILE_BYTES:
        raise ApiError(413, "Request Entity Too Large")
    name = upload.filename
    mime = upload.content_type or mimetypes.guess_type(name or "")[0]
    thumbnail: JSON | None = None
    gif = _gif(upload.data) if kind == "animation" else None
    if gif is not None:
        width, height = width or gif.width, height or gif.height
        duration = duration or gif.duration
        name, mime = f"{name or 'animation.gif'}.mp4", "video/mp4"
        thumbnail = _store_thumbnail(world, gif.thumbnail)
    elif kind == "animation" and not (width and height):
        width, height = _image_size(upload.data) or (width, height)
    file_id, unique, number = world.new_file_ids(kind=kind)
    return world.add_file(
        StoredFile(
            file_id=file_id,
            file_unique_id=unique,
            kind=kind,
            data=upload.data,
            file_path=_path(kind, number, name, mime),
            file_name=name,
            mime_type=mime or "application/octet-stream",
            width=width,
            height=height,
            duration=duration,
            thumbnail=thumbnail,
            data_type="image/gif" if gif is not None else None,
        )
    )


def input_file(world: World, params: Params, field: str, kind: str) -> StoredFile:
    """Resolve a send* media field: a fresh upload, an attach:// part or an existing file_id."""
    value = params.get_str(field)
    upload = params.files.get(field)
    if upload is None and value and value.startswith("attach://"):
        upload = params.files.get(value.removeprefix("attach://"))
    if upload is not None:
        world.uploads += 1
        if kind == "photo":
            return store_photo(world, upload.data)
        return store_file(
            world,
            kind,
            upload,
            width=params.get_int("width") or 0,
            height=params.get_int("height") or 0,
            duration=params.get_int("duration") or 0,
        )
    if not value:
        raise bad_request(f"there is no {kind} in the request")
    if value.startswith(("http://", "https://")):
        raise bad_request("failed to get HTTP URL content")
    stored = world.files.get(value.strip())
    if stored is None:
        raise ApiError(400, errors.WRONG_FILE_ID)
    if stored.kind != kind:
        raise bad_request(
            f"can't use file of type {TYPE_NAMES.get(stored.kind, stored.kind)} "
            f"as {TYPE_NAMES.get(kind, kind)}"
        )
    return stored


def media_content(stored: StoredFile) -> JSON:
    """Return the Message fields for a stored file (animations also carry a document)."""
    if stored.kind == "photo":
        return {"photo": list(stored.sizes)}
    data = stored.to_json()
    if stored.kind == "animation":
        document = {k: v for k, v in data.items() if k not in ("width", "height", "duration")}
        return {"animation": data, "document": document}
    return {stored.kind: data}


def fake_photo(width: int, height: int) -> bytes:
    """Draw a small real image so a bot can download and open what a user 'sent'."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 180, 160)).save(buffer, format="JPEG", quality=60)
    return buffer.getvalue()
