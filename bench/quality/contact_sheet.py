"""A contact sheet: one row per pair, a few labelled images side by side, so a
person can judge what the numbers miss.

Every image is fitted into a CELL_W x CELL_H box (aspect kept, Lanczos). The
sheet is saved as a JPEG whose quality is lowered in steps until the file is
at most MAX_BYTES.
"""
import io
import os

from PIL import Image, ImageDraw, ImageFont

CELL_W, CELL_H = 240, 160
GAP = 4
LINE = 14          # height of a text line
MAX_BYTES = 400 * 1024
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def font():
    """DejaVu Sans where installed, else Pillow's built-in bitmap font."""
    if os.path.exists(FONT):
        return ImageFont.truetype(FONT, 11)
    return ImageFont.load_default()


def fitted(path):
    """The image at path, fitted into a cell; None gives a grey cell."""
    if path is None:
        return Image.new("RGB", (CELL_W, CELL_H), (128, 128, 128))
    im = Image.open(path).convert("RGB")
    im.thumbnail((CELL_W, CELL_H), Image.LANCZOS)
    return im


def write(path, columns, rows):
    """Write a sheet.

    columns: the column titles; rows: [(label, [image path or None per
    column])], label one line of text above the row's images."""
    f = font()
    width = len(columns) * (CELL_W + GAP) + GAP
    row_h = LINE + CELL_H + GAP
    sheet = Image.new("RGB", (width, LINE + GAP + len(rows) * row_h), "white")
    draw = ImageDraw.Draw(sheet)
    for i, title in enumerate(columns):
        draw.text((GAP + i * (CELL_W + GAP), 1), title, fill="black", font=f)
    for r, (label, paths) in enumerate(rows):
        y = LINE + GAP + r * row_h
        draw.text((GAP, y), label, fill="black", font=f)
        for i, p in enumerate(paths):
            im = fitted(p)
            x = GAP + i * (CELL_W + GAP) + (CELL_W - im.width) // 2
            sheet.paste(im, (x, y + LINE + (CELL_H - im.height) // 2))
    for quality in range(88, 30, -6):
        buf = io.BytesIO()
        sheet.save(buf, "JPEG", quality=quality, optimize=True)
        if buf.tell() <= MAX_BYTES:
            break
    tmp = path + ".tmp"
    with open(tmp, "wb") as out:
        out.write(buf.getvalue())
    os.replace(tmp, path)
