"""A decompression bomb for the tests: an 8-bit grey PNG of one colour, side²
pixels in about side²/830 bytes (zlib's best ratio on a constant stream),
written a row at a time so making it takes no memory."""
import struct
import zlib


def write_png_bomb(path, side):
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    z = zlib.compressobj(9)
    row = b"\0" + b"\x80" * side
    idat = b"".join(z.compress(row) for _ in range(side)) + z.flush()
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n"
                + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0))
                + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
