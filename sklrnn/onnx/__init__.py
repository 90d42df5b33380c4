"""Export fitted sklrnn estimators and pipelines to ONNX.

Needs the optional extra ``pip install "sklrnn[onnx]"`` (onnx, onnxruntime,
skl2onnx). Importing this module registers sklrnn's converters with
skl2onnx, so that `skl2onnx.to_onnx` converts pipelines holding sklrnn's
estimators too; `sklrnn.to_onnx` does it for you and picks the inputs from a
sample of ``X``.
"""

try:
    import onnx  # noqa: F401
    import skl2onnx  # noqa: F401
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        "Exporting to ONNX needs the optional packages onnx and skl2onnx "
        '(and onnxruntime to run the model): pip install "sklrnn[onnx]". '
        f"Missing: {error.name}."
    ) from error

from sklrnn.onnx._converters import register_converters
from sklrnn.onnx._export import onnx_inputs

register_converters()

__all__ = ["onnx_inputs", "register_converters"]
