"""skl2onnx parsers and converters of sklrnn's estimators and transformers.

Each parser declares the outputs of one estimator (their names and types are
the exported model's interface); each converter writes the nodes that
compute them with `GraphWriter`.
"""

import numpy as np
from onnx import TensorProto
from onnx.helper import make_tensor
from skl2onnx import update_registered_converter
from skl2onnx.common.data_types import (
    BooleanTensorType,
    DoubleTensorType,
    FloatTensorType,
    Int64TensorType,
    StringTensorType,
)

from sklrnn import (
    CharLSTMGenerator,
    LSTMRegressor,
    SequenceClassifier,
    SequenceTagger,
)
from sklrnn.onnx._graph import GraphWriter
from sklrnn.onnx._network import token_lengths, write_module, write_step
from sklrnn.preprocessing import SequenceScaler, SlidingWindowTransformer
from sklrnn.utils._text import OOV_ID


def _operator(scope, model, inputs):
    operator = scope.declare_local_operator(_ALIASES[type(model)], model)
    operator.inputs = list(inputs)
    return operator


def _declare(scope, operator, outputs):
    """Declare ``outputs`` (name, type) pairs; return the variables."""
    for name, onnx_type in outputs:
        operator.outputs.append(scope.declare_local_variable(name, onnx_type))
    return operator.outputs


# The ONNX tensor type of each kind of label values (`_class_values`).
_LABEL_TYPES = {
    "i": Int64TensorType,
    "b": BooleanTensorType,
    "f": DoubleTensorType,
    "O": StringTensorType,
}


def _class_values(classes):
    """``classes_`` as int64, bool, float64 or str (object) values."""
    values = np.asarray(classes.tolist())
    if values.dtype.kind in "iu":
        return values.astype(np.int64)
    if values.dtype.kind == "f":
        return values.astype(np.float64)
    if values.dtype.kind == "b":
        return values
    return values.astype(str).astype(object)


def _label_type(classes, shape):
    return _LABEL_TYPES[_class_values(classes).dtype.kind](shape)


def _classes_constant(g, classes):
    values = _class_values(classes)
    return g.constant(values, "classes", dtype=values.dtype)


# Parsers -----------------------------------------------------------------------


def _parse_regressor(scope, model, inputs, custom_parsers=None):
    shape = [None] if model._y_is_1d else [None, int(model._n_outputs)]
    operator = _operator(scope, model, inputs)
    return _declare(scope, operator, [("variable", FloatTensorType(shape))])


def _labels_parser(shape):
    """A parser of ``label`` and ``probabilities`` of the given leading
    ``shape``: ``[None]`` per sequence (classifier), ``[None, None]`` per
    step (tagger)."""

    def parse(scope, model, inputs, custom_parsers=None):
        operator = _operator(scope, model, inputs)
        n_classes = len(model.classes_)
        return _declare(
            scope,
            operator,
            [
                ("label", _label_type(model.classes_, shape)),
                ("probabilities", FloatTensorType([*shape, n_classes])),
            ],
        )

    return parse


def _parse_scaler(scope, model, inputs, custom_parsers=None):
    operator = _operator(scope, model, inputs[:1])
    outputs = _declare(
        scope, operator, [("variable", FloatTensorType(inputs[0].type.shape))]
    )
    return outputs + inputs[1:]  # ragged: the lengths go on to the next step


def _parse_sliding_window(scope, model, inputs, custom_parsers=None):
    operator = _operator(scope, model, inputs)
    n_features = model.n_features_in_ + int(model.add_indicator)
    windows = FloatTensorType([None, int(model.window), n_features])
    return _declare(scope, operator, [("variable", windows)])


def _parse_generator(scope, model, inputs, custom_parsers=None):
    operator = _operator(scope, model, inputs)
    n_chars = len(model.vocabulary_)
    outputs = [("logits", FloatTensorType([None, n_chars]))]
    for state in inputs[1:]:
        outputs.append((f"{state.onnx_name}_out", FloatTensorType(state.type.shape)))
    return _declare(scope, operator, outputs)


# Converters --------------------------------------------------------------------


def _float_input(g, variable):
    """A declared input as float32, the type the graph computes in."""
    if isinstance(variable.type, DoubleTensorType):
        return g.op("Cast", variable.onnx_name, to=TensorProto.FLOAT)
    return variable.onnx_name


def _network_input(g, model, inputs):
    """The module's input and lengths: float ``(batch, steps, features)`` (or
    int64 token ids) from the declared inputs."""
    x, variable = inputs[0].onnx_name, inputs[0]
    lengths = inputs[1].onnx_name if len(inputs) > 1 else None
    if getattr(model, "embedding_dim", None) is not None:
        # Ids beyond the fitted vocabulary read as the out-of-vocabulary id.
        too_large = g.op(
            "GreaterOrEqual", x, g.constant(np.int64(model.vocabulary_size_))
        )
        x = g.op("Where", too_large, g.constant(np.int64(OOV_ID)), x)
        return x, token_lengths(g, x) if lengths is None else lengths
    x = _float_input(g, variable)
    if len(variable.type.shape) == 2:  # univariate rows, or flat lag columns
        x = g.op("Reshape", x, g.ints(0, -1, int(model._n_step_features)))
    return x, lengths


def _network_outputs(scope, operator, container):
    g = GraphWriter(scope, container)
    model = operator.raw_operator
    x, lengths = _network_input(g, model, operator.inputs)
    return g, model, write_module(g, model.net_.module_, x, lengths)


def _convert_regressor(scope, operator, container):
    g, model, outputs = _network_outputs(scope, operator, container)
    scaled = g.op("Mul", outputs, g.constant(model._y_scale, "y_scale"))
    shape = g.ints(-1) if model._y_is_1d else g.ints(0, -1)
    g.op(
        "Reshape",
        g.op("Add", scaled, g.constant(model._y_mean, "y_mean")),
        shape,
        outputs=[operator.outputs[0].onnx_name],
    )


def _convert_classifier(scope, operator, container):
    g, model, outputs = _network_outputs(scope, operator, container)
    axis = 2 if model.net_.module_.pooling is None else 1
    label, probabilities = (variable.onnx_name for variable in operator.outputs)
    g.op("Softmax", outputs, axis=axis, outputs=[probabilities])
    best = g.op("ArgMax", outputs, axis=axis, keepdims=0)
    g.op("Gather", _classes_constant(g, model.classes_), best, outputs=[label])


def _convert_scaler(scope, operator, container):
    g = GraphWriter(scope, container)
    model = operator.raw_operator
    variable = operator.inputs[0]
    x = _float_input(g, variable)
    flat = len(variable.type.shape) == 2
    if flat:
        x = g.op("Reshape", x, g.ints(0, -1, int(model._n_step_features)))
    shift, scale = model._shift_and_scale()
    x = g.op("Div", g.op("Sub", x, g.constant(shift, "shift")), g.constant(scale))
    if flat:
        x = g.op("Reshape", x, g.ints(0, -1))
    g.op("Identity", x, outputs=[operator.outputs[0].onnx_name])


def _convert_sliding_window(scope, operator, container):
    g = GraphWriter(scope, container)
    model = operator.raw_operator
    x = _float_input(g, operator.inputs[0])
    n_steps = g.dim(x, 0)
    if model.add_indicator:
        zeros = g.op(
            "ConstantOfShape",
            g.op("Concat", n_steps, g.ints(1), axis=0),
            value=_float_tensor(0.0),
        )
        x = g.op("Concat", x, zeros, axis=1)
    n_pad = int(model.window) - 1
    if n_pad:
        padding = np.full((n_pad, model.n_features_in_), model.fill_value)
        if model.add_indicator:
            padding = np.hstack([padding, np.ones((n_pad, 1))])
        x = g.op("Concat", g.constant(padding, "padding"), x, axis=0)
    # Row t of the output gathers padded rows t .. t + window - 1.
    index = g.op(
        "Add",
        g.op("Unsqueeze", g.arange(n_steps), g.ints(1)),
        g.constant(np.arange(int(model.window))[None, :], "offsets"),
    )
    g.op("Gather", x, index, axis=0, outputs=[operator.outputs[0].onnx_name])


def _float_tensor(value):
    return make_tensor("value", TensorProto.FLOAT, [1], [value])


def _convert_generator(scope, operator, container):
    g = GraphWriter(scope, container)
    model = operator.raw_operator
    ids, *state = (variable.onnx_name for variable in operator.inputs)
    logits, new_state = write_step(g, model.net_.module_, ids, state)
    g.op("Identity", logits, outputs=[operator.outputs[0].onnx_name])
    for value, variable in zip(new_state, operator.outputs[1:]):
        g.op("Identity", value, outputs=[variable.onnx_name])


_CONVERTERS = {
    LSTMRegressor: (_parse_regressor, _convert_regressor),
    SequenceClassifier: (_labels_parser([None]), _convert_classifier),
    SequenceTagger: (_labels_parser([None, None]), _convert_classifier),
    SequenceScaler: (_parse_scaler, _convert_scaler),
    SlidingWindowTransformer: (_parse_sliding_window, _convert_sliding_window),
    CharLSTMGenerator: (_parse_generator, _convert_generator),
}
_ALIASES = {cls: f"Sklrnn{cls.__name__}" for cls in _CONVERTERS}


def register_converters():
    """Register sklrnn's converters with skl2onnx.

    After this, `skl2onnx.to_onnx` and `skl2onnx.convert_sklearn` convert
    sklrnn's estimators and transformers, alone or inside a
    :class:`~sklearn.pipeline.Pipeline`. Importing `sklrnn.onnx` calls it;
    calling it again does nothing new.

    Examples
    --------
    >>> import numpy as np
    >>> import skl2onnx
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklrnn import SequenceClassifier
    >>> from sklrnn.onnx import register_converters
    >>> from sklrnn.preprocessing import SequenceScaler
    >>> register_converters()
    >>> X = np.random.RandomState(0).normal(size=(20, 6, 2)).astype(np.float32)
    >>> y = X[:, :, 0].sum(axis=1) > 0
    >>> pipe = make_pipeline(
    ...     SequenceScaler(),
    ...     SequenceClassifier(conv_channels=None, max_epochs=2, random_state=0),
    ... ).fit(X, y)
    >>> model = skl2onnx.to_onnx(pipe, X[:2], target_opset=18)
    >>> [output.name for output in model.graph.output]
    ['label', 'probabilities']
    """
    for cls, (parser, converter) in _CONVERTERS.items():
        update_registered_converter(
            cls, _ALIASES[cls], _no_shape_change, converter, parser=parser
        )


def _no_shape_change(operator):
    """The parsers declare every output's type and shape already."""
