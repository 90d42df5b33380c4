"""Tests for TextTokenizer: ids, vocabulary options, round trips, bad input."""

import pickle
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils import get_tags
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import (
    check_do_not_raise_errors_in_init_or_set_params,
    check_estimator,
    check_estimator_cloneable,
    check_estimator_repr,
    check_estimator_tags_renamed,
    check_estimators_unfitted,
    check_mixin_order,
    check_no_attributes_set_in_init,
    check_valid_tag_types,
)

from sklrnn.preprocessing._tokenizer import TextTokenizer

DOCS = [
    "The cat sat on the mat.",
    "The dog sat on the log!",
    "A cat and a dog.",
]


def assert_sequences_equal(actual, expected):
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected):
        assert_array_equal(got, np.asarray(want, dtype=np.int64))


# --- tokens and ids ----------------------------------------------------------


def test_word_level_vocabulary_and_ids():
    tokenizer = TextTokenizer().fit(DOCS)
    # the: 4, sat/on/cat/dog/a/.: 2 (in order of first appearance), then 1 each.
    assert tokenizer.vocabulary_ == {
        "the": 2,
        "cat": 3,
        "sat": 4,
        "on": 5,
        ".": 6,
        "dog": 7,
        "a": 8,
        "mat": 9,
        "log": 10,
        "!": 11,
        "and": 12,
    }
    assert tokenizer.vocabulary_size_ == len(tokenizer.vocabulary_) + 2 == 13
    assert_sequences_equal(
        tokenizer.transform(["the cat sat.", "A dog!"]), [[2, 3, 4, 6], [8, 7, 11]]
    )


def test_word_level_splits_punctuation_into_tokens():
    tokenizer = TextTokenizer(lowercase=False).fit(["it's late, Bob!  _x_ 42"])
    assert list(tokenizer.vocabulary_) == [
        "it",
        "'",
        "s",
        "late",
        ",",
        "Bob",
        "!",
        "_x_",
        "42",
    ]


def test_char_level_tokens_are_all_characters():
    tokenizer = TextTokenizer(level="char").fit(["ab a\n"])
    assert tokenizer.vocabulary_ == {"a": 2, "b": 3, " ": 4, "\n": 5}
    assert_sequences_equal(tokenizer.transform(["ba \n"]), [[3, 2, 4, 5]])


def test_transform_returns_ragged_int64_arrays_without_padding_id():
    tokenizer = TextTokenizer().fit(DOCS)
    sequences = tokenizer.transform(DOCS + ["unseen words only", ""])
    assert isinstance(sequences, list)
    assert [len(seq) for seq in sequences] == [7, 7, 6, 3, 1]
    for seq in sequences:
        assert isinstance(seq, np.ndarray)
        assert seq.dtype == np.int64
        assert seq.ndim == 1
        assert seq.min() >= TextTokenizer.OOV_ID
        assert seq.max() < tokenizer.vocabulary_size_


def test_id_constants():
    assert TextTokenizer.PAD_ID == 0
    assert TextTokenizer.OOV_ID == 1
    assert TextTokenizer.OOV_TOKEN == "<unk>"


def test_ids_by_frequency_then_first_appearance():
    tokenizer = TextTokenizer().fit(["b a c", "c a", "c"])
    # c: 3, a: 2, b: 1.
    assert tokenizer.vocabulary_ == {"c": 2, "a": 3, "b": 4}
    tied = TextTokenizer().fit(["z y x", "x y z"])
    assert tied.vocabulary_ == {"z": 2, "y": 3, "x": 4}


def test_ids_are_deterministic():
    first = TextTokenizer(level="char").fit(DOCS)
    second = TextTokenizer(level="char").fit(list(DOCS))
    assert list(first.vocabulary_.items()) == list(second.vocabulary_.items())
    assert_sequences_equal(first.transform(DOCS), second.transform(DOCS))


def test_fit_transform_matches_fit_then_transform():
    tokenizer = TextTokenizer(min_frequency=2)
    assert_sequences_equal(
        tokenizer.fit_transform(DOCS), clone(tokenizer).fit(DOCS).transform(DOCS)
    )


def test_fit_transform_reads_a_generator_once():
    sequences = TextTokenizer().fit_transform(doc for doc in DOCS)
    assert_sequences_equal(sequences, TextTokenizer().fit(DOCS).transform(DOCS))


@pytest.mark.parametrize(
    "X",
    [
        DOCS,
        tuple(DOCS),
        np.array(DOCS),
        np.array(DOCS, dtype=object),
        pd.Series(DOCS, index=[10, 5, 7]),
        pd.Series(DOCS, dtype="string"),
    ],
    ids=["list", "tuple", "str_array", "object_array", "series", "string_series"],
)
def test_accepts_iterables_of_documents(X):
    expected = TextTokenizer().fit(DOCS).transform(DOCS)
    assert_sequences_equal(TextTokenizer().fit(X).transform(X), expected)


# --- vocabulary options ------------------------------------------------------


def test_lowercase_shrinks_vocabulary():
    docs = ["The cat", "the Cat", "THE CAT"]
    cased = TextTokenizer(lowercase=False).fit(docs)
    lowered = TextTokenizer(lowercase=True).fit(docs)
    assert len(lowered.vocabulary_) == 2 < len(cased.vocabulary_) == 6
    assert_sequences_equal(lowered.transform(["tHe CaT"]), [[2, 3]])


@pytest.mark.parametrize("level", ["word", "char"])
def test_strip_punctuation_shrinks_vocabulary(level):
    docs = ["Hello, world!", "«Bonjour»… ¿Qué?", "a+b=c; x_y $5"]
    kept = TextTokenizer(level=level).fit(docs)
    stripped = TextTokenizer(level=level, strip_punctuation=True).fit(docs)
    assert len(stripped.vocabulary_) < len(kept.vocabulary_)
    for token in ",!«»…¿?+=;_$":
        assert any(token in t for t in kept.vocabulary_)  # "_" is in "x_y"
        assert not any(token in t for t in stripped.vocabulary_)


def test_strip_punctuation_deletes_characters_inside_words():
    tokenizer = TextTokenizer(strip_punctuation=True).fit(["Don't stop, well-known."])
    assert list(tokenizer.vocabulary_) == ["dont", "stop", "wellknown"]


def test_max_vocab_keeps_most_frequent_and_maps_the_rest_to_oov():
    tokenizer = TextTokenizer(max_vocab=2).fit(["a a a b b c", "d"])
    assert tokenizer.vocabulary_ == {"a": 2, "b": 3}
    assert tokenizer.vocabulary_size_ == 4
    assert_sequences_equal(tokenizer.transform(["c b a d"]), [[1, 3, 2, 1]])


def test_min_frequency_drops_rare_tokens():
    tokenizer = TextTokenizer(min_frequency=2).fit(["a a a b b c", "d b"])
    assert tokenizer.vocabulary_ == {"a": 2, "b": 3}
    assert_sequences_equal(tokenizer.transform(["c d"]), [[1, 1]])


def test_min_frequency_counts_occurrences_not_documents():
    tokenizer = TextTokenizer(min_frequency=3).fit(["x x x", "y", "y"])
    assert tokenizer.vocabulary_ == {"x": 2}


def test_max_vocab_applies_after_min_frequency():
    tokenizer = TextTokenizer(max_vocab=5, min_frequency=2).fit(["a a b b c d e"])
    assert tokenizer.vocabulary_ == {"a": 2, "b": 3}


def test_max_vocab_larger_than_vocabulary_keeps_everything():
    tokenizer = TextTokenizer(max_vocab=100).fit(DOCS)
    assert tokenizer.vocabulary_ == TextTokenizer().fit(DOCS).vocabulary_


# --- out of vocabulary and empty documents -----------------------------------


def test_unseen_tokens_get_the_oov_id():
    tokenizer = TextTokenizer().fit(DOCS)
    assert_sequences_equal(tokenizer.transform(["the zebra sat"]), [[2, 1, 4]])
    chars = TextTokenizer(level="char").fit(["abc"])
    assert_sequences_equal(chars.transform(["axc"]), [[2, 1, 4]])


@pytest.mark.parametrize(
    "params, document",
    [
        ({}, ""),
        ({}, "   \n\t"),
        ({"level": "char"}, ""),
        ({"strip_punctuation": True}, "?!..."),
        ({"level": "char", "strip_punctuation": True}, "«…»"),
    ],
)
def test_document_without_tokens_gives_one_oov_step(params, document):
    tokenizer = TextTokenizer(**params).fit(DOCS)
    assert_sequences_equal(tokenizer.transform([document]), [[1]])
    assert_sequences_equal(
        TextTokenizer(**params).fit_transform(["a", document])[1:], [[1]]
    )


def test_empty_vocabulary_raises():
    with pytest.raises(ValueError, match="vocabulary is empty: no document has"):
        TextTokenizer().fit(["", "  "])
    with pytest.raises(ValueError, match="vocabulary is empty.*min_frequency=3"):
        TextTokenizer(min_frequency=3).fit(["a b", "a"])


# --- inverse_transform -------------------------------------------------------


def test_inverse_transform_char_level_is_exact_after_lowercasing():
    docs = ["Hello, World!\n", "Two  spaces\tand a tab."]
    tokenizer = TextTokenizer(level="char").fit(docs)
    assert tokenizer.inverse_transform(tokenizer.transform(docs)) == [
        doc.lower() for doc in docs
    ]


def test_inverse_transform_word_level_gives_tokens_joined_by_spaces():
    tokenizer = TextTokenizer().fit(DOCS)
    restored = tokenizer.inverse_transform(tokenizer.transform(DOCS))
    assert restored[0] == "the cat sat on the mat ."
    assert [doc.split(" ") for doc in restored] == [
        re.findall(r"\w+|[^\w\s]", doc.lower()) for doc in DOCS
    ]


def test_inverse_transform_writes_oov_and_skips_padding():
    tokenizer = TextTokenizer().fit(DOCS)
    padded = np.array([[2, 1, 4, 0, 0], [0, 0, 0, 0, 0]])
    assert tokenizer.inverse_transform(padded) == ["the <unk> sat", ""]
    assert tokenizer.inverse_transform(tokenizer.transform([""])) == ["<unk>"]


def test_inverse_transform_accepts_lists_and_integral_floats():
    tokenizer = TextTokenizer().fit(DOCS)
    assert tokenizer.inverse_transform([[2, 3], [], np.array([4.0, 0.0])]) == [
        "the cat",
        "",
        "sat",
    ]


@pytest.mark.parametrize("bad_id", [13, 100, -1])
def test_inverse_transform_rejects_ids_out_of_range(bad_id):
    tokenizer = TextTokenizer().fit(DOCS)
    with pytest.raises(ValueError, match=f"Token id {bad_id} .* position 1 .*0 to 12"):
        tokenizer.inverse_transform([[2], [3, bad_id]])


@pytest.mark.parametrize(
    "X, match",
    [
        (np.array([2, 3]), "single 1-D array of ids; wrap it in a list"),
        ([np.array([[2, 3]])], "must be 1-D, but the sequence at position 0"),
        ([[2.5]], "must be integers, but the sequence at position 0"),
        ([["the"]], "must be integers"),
    ],
)
def test_inverse_transform_rejects_bad_sequences(X, match):
    tokenizer = TextTokenizer().fit(DOCS)
    with pytest.raises(ValueError, match=match):
        tokenizer.inverse_transform(X)


# --- bad input and parameters ------------------------------------------------


@pytest.mark.parametrize("method", ["fit", "fit_transform", "transform"])
@pytest.mark.parametrize("X", ["one document", np.array("one document")])
def test_single_string_is_rejected(method, X):
    tokenizer = TextTokenizer().fit(DOCS)
    with pytest.raises(ValueError, match="got a single string; wrap it in a list"):
        getattr(tokenizer, method)(X)


@pytest.mark.parametrize(
    "X, type_name, position",
    [
        (["a", 3, "b"], "int", 1),
        (["a", "b", b"bytes"], "bytes", 2),
        (pd.Series(["a", None], dtype=object), "NoneType", 1),
        (pd.Series(["a", None], dtype="string"), "NAType", 1),
        (pd.Series(["a", "b", np.nan], index=[7, 8, 9]), "float", 2),
        ([["a", "b"]], "list", 0),
    ],
)
def test_non_string_document_is_rejected(X, type_name, position):
    match = f"document at position {position} is of type {type_name}"
    with pytest.raises(TypeError, match=match):
        TextTokenizer().fit(X)
    tokenizer = TextTokenizer().fit(DOCS)
    with pytest.raises(TypeError, match=match):
        tokenizer.transform(X)


@pytest.mark.parametrize("X", [[], np.array([], dtype=str), pd.Series([], dtype=str)])
def test_empty_input_is_rejected(X):
    with pytest.raises(ValueError, match="X is empty"):
        TextTokenizer().fit(X)
    with pytest.raises(ValueError, match="X is empty"):
        TextTokenizer().fit(DOCS).transform(X)


@pytest.mark.parametrize(
    "X", [np.array([DOCS, DOCS]), pd.DataFrame({"text": DOCS})], ids=["2d", "frame"]
)
def test_two_dimensional_input_is_rejected(X):
    with pytest.raises(ValueError, match="1-D iterable of documents.*2 dimensions"):
        TextTokenizer().fit(X)


def test_non_iterable_input_is_rejected():
    with pytest.raises(TypeError, match="iterable of documents.*type int"):
        TextTokenizer().fit(3)


@pytest.mark.parametrize(
    "params",
    [
        {"level": "sentence"},
        {"level": None},
        {"lowercase": "yes"},
        {"strip_punctuation": 1},
        {"max_vocab": 0},
        {"max_vocab": 2.5},
        {"min_frequency": 0},
        {"min_frequency": None},
    ],
)
def test_bad_parameters_raise_invalid_parameter_error(params):
    name = next(iter(params))
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter"):
        TextTokenizer(**params).fit(DOCS)
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter"):
        TextTokenizer(**params).fit_transform(DOCS)


@pytest.mark.parametrize("method", ["transform", "inverse_transform"])
def test_methods_before_fit_raise_not_fitted(method):
    with pytest.raises(NotFittedError):
        getattr(TextTokenizer(), method)(
            [[2]] if method == "inverse_transform" else DOCS
        )


def test_input_is_not_modified():
    docs = list(DOCS)
    array = np.array(DOCS, dtype=object)
    series = pd.Series(DOCS, index=[3, 1, 2])
    tokenizer = TextTokenizer(strip_punctuation=True).fit(docs)
    tokenizer.transform(array)
    tokenizer.fit_transform(series)
    assert docs == DOCS
    assert_array_equal(array, np.array(DOCS, dtype=object))
    pd.testing.assert_series_equal(series, pd.Series(DOCS, index=[3, 1, 2]))
    ids = tokenizer.transform(docs)
    copies = [seq.copy() for seq in ids]
    tokenizer.inverse_transform(ids)
    assert_sequences_equal(ids, copies)


# --- scikit-learn API --------------------------------------------------------


def test_params_clone_and_pickle_round_trip():
    tokenizer = TextTokenizer(level="char", max_vocab=5, min_frequency=2)
    assert tokenizer.get_params() == {
        "level": "char",
        "lowercase": True,
        "strip_punctuation": False,
        "max_vocab": 5,
        "min_frequency": 2,
    }
    assert not hasattr(clone(tokenizer.fit(DOCS)), "vocabulary_")
    restored = pickle.loads(pickle.dumps(tokenizer))
    assert restored.vocabulary_ == tokenizer.vocabulary_
    assert_sequences_equal(restored.transform(DOCS), tokenizer.transform(DOCS))


def test_fit_returns_self_and_sets_only_fitted_attributes():
    tokenizer = TextTokenizer(max_vocab=4)
    params = tokenizer.get_params()
    before = set(vars(tokenizer))
    assert tokenizer.fit(DOCS) is tokenizer
    assert tokenizer.get_params() == params
    public_new = {a for a in set(vars(tokenizer)) - before if not a.startswith("_")}
    assert public_new == {"vocabulary_", "vocabulary_size_"}
    assert not hasattr(tokenizer, "n_features_in_")


def test_tags_declare_text_input():
    tags = get_tags(TextTokenizer())
    assert tags.input_tags.string
    assert not tags.input_tags.two_d_array
    assert tags.requires_fit
    assert tags.transformer_tags.preserves_dtype == []


@pytest.mark.parametrize(
    "check",
    [
        check_estimator_cloneable,
        check_estimator_tags_renamed,
        check_valid_tag_types,
        check_estimator_repr,
        check_no_attributes_set_in_init,
        check_estimators_unfitted,
        check_do_not_raise_errors_in_init_or_set_params,
        check_mixin_order,
    ],
)
def test_sklearn_api_checks_without_numeric_data(check):
    # The other common checks feed 2-D numeric arrays, which a tokenizer
    # rightly refuses; scikit-learn skips them for string-input estimators.
    check("TextTokenizer", TextTokenizer())


def test_check_estimator_skips_data_checks():
    with pytest.warns(UserWarning, match="Can't test estimator TextTokenizer"):
        results = check_estimator(TextTokenizer(), on_fail=None)
    assert {r["check_name"]: r["status"] for r in results} == {
        "check_estimator_cloneable": "passed"
    }


def _count_ids(sequences, n_ids=32):
    """Bag of ids, a fixed-width stand-in for a sequence model."""
    return np.array([np.bincount(seq % n_ids, minlength=n_ids) for seq in sequences])


def test_pipeline_in_grid_search():
    docs = ["good fun film", "great good story", "Fun, fun!", "loved it, great"] * 3
    docs += ["bad dull film", "awful bad story", "Dull, dull.", "hated it, awful"] * 3
    y = [1] * 12 + [0] * 12
    pipeline = make_pipeline(
        TextTokenizer(level="word"),
        FunctionTransformer(_count_ids),
        LogisticRegression(solver="liblinear"),
    )
    search = GridSearchCV(
        pipeline,
        {
            "texttokenizer__lowercase": [True, False],
            "texttokenizer__level": ["word", "char"],
            "texttokenizer__max_vocab": [None, 8],
        },
        cv=3,
    ).fit(docs, y)
    assert len(search.cv_results_["params"]) == 8
    assert search.score(docs, y) == 1.0
    assert pipeline.get_params()["texttokenizer__level"] == "word"


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=5),
    st.booleans(),
)
def test_char_round_trip_property(docs, lowercase):
    tokenizer = TextTokenizer(level="char", lowercase=lowercase)
    restored = tokenizer.inverse_transform(tokenizer.fit_transform(docs))
    assert restored == [doc.lower() if lowercase else doc for doc in docs]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(max_size=30), min_size=1, max_size=5))
def test_word_ids_property(docs):
    tokenizer = TextTokenizer(level="word")
    tokens = [re.findall(r"\w+|[^\w\s]", doc.lower()) for doc in docs]
    if not any(tokens):
        with pytest.raises(ValueError, match="vocabulary is empty"):
            tokenizer.fit(docs)
        return
    sequences = tokenizer.fit_transform(docs)
    for seq, doc_tokens in zip(sequences, tokens):
        assert len(seq) == max(len(doc_tokens), 1)
        assert seq.min() >= (2 if doc_tokens else 1)
    assert tokenizer.inverse_transform(sequences) == [
        " ".join(t) if t else "<unk>" for t in tokens
    ]
