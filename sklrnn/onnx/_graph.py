"""Writing ONNX nodes and constants into skl2onnx's container."""

import numpy as np
from onnx import TensorProto, numpy_helper

# Reductions take their axes as an input from opset 18 on; every node this
# package writes is valid from there.
MIN_OPSET = 18


class GraphWriter:
    """Adds nodes and constants to the graph skl2onnx is building.

    Each call returns the name of the new tensor, so that the graph reads
    like the torch code it mirrors: ``g.op("MatMul", x, g.constant(w))``.

    Parameters
    ----------
    scope : skl2onnx.common._topology.Scope
        Gives unique names.
    container : skl2onnx.common._container.ModelComponentContainer
        Receives the nodes and initializers.
    """

    def __init__(self, scope, container):
        if container.target_opset < MIN_OPSET:
            raise RuntimeError(
                f"sklrnn's ONNX converters need target_opset >= {MIN_OPSET}, "
                f"got {container.target_opset}; pass a higher target_opset."
            )
        self.scope = scope
        self.container = container

    def name(self, hint):
        """A new unique tensor name."""
        return self.scope.get_unique_variable_name(hint)

    def constant(self, value, hint="const", dtype=None):
        """An initializer holding ``value`` (float32 unless ``dtype`` or the
        value says otherwise: integers become int64, text becomes strings)."""
        array = np.asarray(value, dtype=dtype)
        name = self.name(hint)
        if array.dtype.kind in "OUS":
            self.container.add_initializer(
                name, TensorProto.STRING, list(array.shape), array.ravel().tolist()
            )
            return name
        if dtype is None and array.dtype.kind == "f":
            array = array.astype(np.float32)
        elif dtype is None and array.dtype.kind in "iu":
            array = array.astype(np.int64)
        tensor = numpy_helper.from_array(np.ascontiguousarray(array), name)
        self.container.add_initializer(
            name, tensor.data_type, list(array.shape), tensor
        )
        return name

    def ints(self, *values):
        """A 1-D int64 constant: shapes, axes, slice bounds."""
        return self.constant(np.array(values, dtype=np.int64), "ints")

    def op(self, op_type, *inputs, outputs=None, n_outputs=1, **attributes):
        """Add one node; return its output name (a list for several).

        ``None`` inputs are written as ONNX's empty name (an optional input
        left out). ``outputs`` names the outputs, e.g. the operator's own.
        """
        inputs = list(inputs)
        while inputs and inputs[-1] is None:
            inputs.pop()
        if None in inputs:
            # skl2onnx's node ordering does not know ONNX's empty input name.
            raise ValueError(f"{op_type}: only trailing inputs may be left out.")
        if outputs is None:
            outputs = [self.name(op_type.lower()) for _ in range(n_outputs)]
        self.container.add_node(
            op_type,
            inputs,
            list(outputs),
            name=self.scope.get_unique_operator_name(op_type),
            **attributes,
        )
        return outputs[0] if len(outputs) == 1 else list(outputs)

    # Small compositions used throughout --------------------------------------

    def dim(self, tensor, axis):
        """The length of ``tensor`` along ``axis``, as a 1-D int64 of one."""
        return self.op("Shape", tensor, start=axis, end=axis + 1)

    def arange(self, n):
        """``0, 1, ..., n - 1`` as int64; ``n`` is a 1-D int64 of one element
        (from `dim`)."""
        return self.op(
            "Range",
            self.constant(np.int64(0), "zero"),
            self.op("Squeeze", n, self.ints(0)),
            self.constant(np.int64(1), "one"),
        )

    def step_mask(self, lengths, n_steps):
        """``(batch, steps)`` booleans: True on the real steps of each row.

        ``n_steps`` is a 1-D int64 of one element (from `dim`).
        """
        return self.op(
            "Less",
            self.op("Unsqueeze", self.arange(n_steps), self.ints(0)),
            self.op("Unsqueeze", lengths, self.ints(1)),
        )
