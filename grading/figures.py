"""Pictures a lab's judge shows on the result page (``figures`` in labs/grader_api.py).

A judge hands over numbers (a uint8 array drawn from the evidence, e.g. a learner's
reconstruction grid); this trusted code checks them and writes the PNG itself, so that no byte
a learner's process produced is served as an image. The page shows each figure with an
``<img>`` whose ``alt`` is the judge's title in the viewer's language; the file is served only
to those who may see the submission (grading.views.submission_artifact).
"""

from __future__ import annotations

import logging
import struct
import zlib
from dataclasses import dataclass, field

import numpy as np

from labs.grader_api import Evidence, Figure, JudgeSpec, Message

logger = logging.getLogger(__name__)

MAX_SIDE = 4096
MAX_PIXELS = 4 * 1024 * 1024
MAX_FIGURES = 4


@dataclass(frozen=True)
class FigureImage:
    """A figure ready to store: its file name, PNG bytes and its title in every language."""

    name: str
    png: bytes
    titles: dict[str, str] = field(default_factory=dict)


def encode_png(image: np.ndarray) -> bytes:
    """A PNG of a uint8 array (H, W) (grey) or (H, W, 3) (RGB). Raises ValueError for any
    other array, or one larger than MAX_SIDE per side or MAX_PIXELS in all."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise ValueError("a figure is a uint8 array")
    if image.ndim == 2:
        colour_type = 0
    elif image.ndim == 3 and image.shape[2] == 3:
        colour_type = 2
    else:
        raise ValueError(f"a figure has shape (H, W) or (H, W, 3), not {image.shape}")
    height, width = image.shape[:2]
    if not (0 < height <= MAX_SIDE and 0 < width <= MAX_SIDE and height * width <= MAX_PIXELS):
        raise ValueError(f"a figure of {height}x{width} pixels is empty or too large")
    rows = np.ascontiguousarray(image).reshape(height, -1)
    raw = np.concatenate([np.zeros((height, 1), np.uint8), rows], axis=1).tobytes()  # filter 0

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


def render_figures(spec: JudgeSpec, evidence: Evidence) -> list[FigureImage]:
    """The judge's figures for this grading, as PNGs; none when the judge has none, and a
    figure the evidence cannot make (a malformed array) is left out, never an error."""
    if spec.figures is None:
        return []
    try:
        figures = list(spec.figures(evidence))
    except Exception:  # malformed evidence: no picture, the tests say what is wrong
        logger.info("no figures for this grading", exc_info=True)
        return []
    images: list[FigureImage] = []
    for figure in figures[:MAX_FIGURES]:
        if not isinstance(figure, Figure):
            raise TypeError(f"figures() returned {figure!r}, not a labs.grader_api.Figure")
        try:
            png = encode_png(figure.image)
        except ValueError:
            continue
        titles = Message(figure.title, {}).render_all()
        images.append(FigureImage(name=figure.name, png=png, titles=titles))
    return images
