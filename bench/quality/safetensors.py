"""A tiny reader for the safetensors files gcut-train writes.

The benchmark and the CI test need two things from them: the training record
(JSON in the header's __metadata__) and the per-step loss history, which the
checkpoint (STEM.ckpt.safetensors) stores as tensor "trainer.losses" of shape
(steps, number of reported losses), columns in the order of the names in the
record's "losses". The format: 8-byte little-endian header length, a JSON
header {name: {dtype, shape, data_offsets}, "__metadata__": {str: str}}, then
the raw little-endian data. Written here so that no package has to be
installed.
"""
import json
import struct

import numpy as np

DTYPES = {"F32": "<f4", "F64": "<f8", "F16": "<f2", "I64": "<i8", "I32": "<i4",
          "U64": "<u8", "U8": "u1", "I8": "i1"}


class SafeTensors:
    """The header of one file, with tensors read on demand."""

    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            (n,) = struct.unpack("<Q", f.read(8))
            self.header = json.loads(f.read(n))
        self.data_start = 8 + n
        self.metadata = self.header.pop("__metadata__", {}) or {}

    def names(self):
        """Tensor names in the file."""
        return list(self.header)

    def tensor(self, name):
        """One tensor as a numpy array of its declared dtype and shape."""
        info = self.header[name]
        dtype = np.dtype(DTYPES[info["dtype"]])
        begin, end = info["data_offsets"]
        with open(self.path, "rb") as f:
            f.seek(self.data_start + begin)
            raw = f.read(end - begin)
        return np.frombuffer(raw, dtype=dtype).reshape(info["shape"])

    def json_metadata(self, key):
        """A __metadata__ entry parsed as JSON (gegl-cut stores JSON strings)."""
        return json.loads(self.metadata[key])


def loss_names(record):
    """Loss names, in column order, from a training record.

    The record lists them as [{"name": ..., "value": ...}] or as
    {name: value}; accept both so the reader does not break on a cosmetic
    change of the record's JSON."""
    losses = record.get("losses", [])
    if isinstance(losses, dict):
        return list(losses)
    return [entry["name"] if isinstance(entry, dict) else entry[0] for entry in losses]


def loss_history(checkpoint_path):
    """{loss name: 1-D array over steps} from a gcut-train checkpoint."""
    st = SafeTensors(checkpoint_path)
    history = st.tensor("trainer.losses")
    names = loss_names(st.json_metadata("training"))
    if history.ndim != 2 or history.shape[1] != len(names):
        raise ValueError("%s: trainer.losses has shape %s but the record names %d losses"
                         % (checkpoint_path, history.shape, len(names)))
    return {name: history[:, i].astype(np.float64) for i, name in enumerate(names)}


def early_late(values, fraction=0.1):
    """Means of the first and the last `fraction` of a loss curve (at least
    one step each): whether the loss fell, robust to single-step noise."""
    n = max(1, int(len(values) * fraction))
    return float(values[:n].mean()), float(values[-n:].mean())
