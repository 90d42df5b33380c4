"""CharLSTMGenerator, its numpy stepper and the embedded text corpus.

scikit-learn's common checks feed 2-D numeric arrays, which a text model does
not read (see the tags); the API properties they test are checked here with
text instead.
"""

import io
import math
import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import (
    check_do_not_raise_errors_in_init_or_set_params,
    check_estimator_repr,
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)

from sklrnn import CharLSTMGenerator, load_weights, save_weights
from sklrnn._modules import IGNORE_INDEX, RecurrentModule
from sklrnn._stepper import RecurrentStepper
from sklrnn.datasets import load_text_corpus
from sklrnn.preprocessing._characters import START, training_rows

FAST = dict(hidden_size=48, window=40, batch_size=32, lr=0.01, random_state=0)
DOCUMENTS = load_text_corpus(as_documents=True)


@pytest.fixture(scope="module")
def text():
    return DOCUMENTS[0][:4000]


@pytest.fixture(scope="module")
def fitted(text):
    return CharLSTMGenerator(**FAST, max_epochs=40).fit(text)


def _distinct_bigrams(sample):
    return len({sample[i : i + 2] for i in range(len(sample) - 1)})


# Generation -------------------------------------------------------------------


@pytest.mark.parametrize("n_chars", [1, 7, 300])
@pytest.mark.parametrize("prompt", [None, "", "The ", "assert"])
def test_generate_writes_exactly_n_chars_of_the_vocabulary(fitted, n_chars, prompt):
    sample = fitted.generate(n_chars, prompt=prompt, random_state=0)
    assert isinstance(sample, str) and len(sample) == n_chars
    assert set(sample) <= set(fitted.vocabulary_)
    assert len(fitted.generate(n_chars, prompt=prompt, top_k=3)) == n_chars


def test_same_random_state_same_text_and_global_rngs_untouched(fitted):
    numpy_state, torch_state = np.random.get_state(), torch.get_rng_state()
    first = fitted.generate(200, prompt="The ", random_state=3)
    assert fitted.generate(200, prompt="The ", random_state=3) == first
    assert fitted.generate(200, prompt="The ", random_state=4) != first
    rng_a, rng_b = np.random.RandomState(5), np.random.RandomState(5)
    assert fitted.generate(50, random_state=rng_a) == fitted.generate(
        50, random_state=rng_b
    )
    fitted.generate(50)  # fresh randomness, from neither global generator
    assert np.array_equal(np.random.get_state()[1], numpy_state[1])
    assert torch.equal(torch.get_rng_state(), torch_state)


def test_low_temperature_is_less_diverse(fitted):
    cold = fitted.generate(500, temperature=0.2, random_state=0)
    hot = fitted.generate(500, temperature=2.0, random_state=0)
    assert _distinct_bigrams(cold) < _distinct_bigrams(hot)
    assert len(set(cold)) < len(set(hot))


def test_greedy_generation_matches_predict(fitted):
    # top_k=1 is greedy decoding: the numpy stepper must agree with the torch
    # module step after step.
    prompt = "The assert statement"
    written = fitted.generate(25, prompt=prompt, top_k=1)
    expected = ""
    for _ in range(25):
        expected += fitted.predict([prompt + expected])[0]
    assert written == expected


# The numpy stepper ------------------------------------------------------------


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("num_layers", [1, 2, 3])
def test_stepper_matches_the_torch_module(cell, num_layers):
    torch.manual_seed(0)
    module = RecurrentModule(
        None,
        7,
        cell=cell,
        hidden_size=16,
        num_layers=num_layers,
        num_embeddings=8,
        embedding_dim=5,
        pooling=None,
    ).eval()
    with torch.no_grad():  # non-zero biases everywhere
        for param in module.parameters():
            param.add_(0.1 * torch.randn_like(param))
    ids = torch.randint(0, 8, (1, 30))
    with torch.inference_mode():
        outputs, state = module(ids, return_state=True)
        expected = outputs[0].numpy()
    stepper = RecurrentStepper(module, temperature=2.0)
    for t, token in enumerate(ids[0].numpy()):
        stepper.read([token])
        np.testing.assert_allclose(2 * stepper.logits(), expected[t], atol=1e-5)
    loaded = RecurrentStepper(module)
    loaded.load_state(state)
    np.testing.assert_allclose(loaded.logits(), expected[-1], atol=1e-5)
    loaded.reset()
    loaded.read(ids[0].numpy())
    np.testing.assert_allclose(loaded.logits(), expected[-1], atol=1e-5)


def test_stepper_samples_from_the_softmax():
    torch.manual_seed(0)
    module = RecurrentModule(
        None, 4, hidden_size=8, num_embeddings=5, embedding_dim=3, pooling=None
    ).eval()
    stepper = RecurrentStepper(module, temperature=1.5)
    expected = torch.softmax(torch.as_tensor(stepper.logits()), 0).numpy()
    counts = np.zeros(4)
    rng = np.random.RandomState(0)
    for _ in range(4000):
        stepper.reset()
        first = stepper.sample(1, rng, inputs_of_outputs=np.arange(4) + 1)
        counts[first[0]] += 1
    np.testing.assert_allclose(counts / counts.sum(), expected, atol=0.03)
    stepper.reset()
    top = stepper.sample(1, rng, inputs_of_outputs=np.arange(4) + 1, top_k=1)
    assert top[0] == np.argmax(expected)


def test_generation_reuses_the_stepper_until_the_weights_change(text):
    model = CharLSTMGenerator(**FAST, max_epochs=1, warm_start=True).fit(text)
    module = model.net_.module_
    first = model.generate(100, random_state=0)
    stepper = model._stepper_cache[1]
    assert model.generate(100, random_state=0) == first
    assert model._stepper_cache[1] is stepper

    fresh = pickle.loads(pickle.dumps(model))  # the cache is not pickled
    assert not hasattr(fresh, "_stepper_cache")
    cold = fresh.generate(100, temperature=0.5, random_state=0)
    assert model.generate(100, temperature=0.5, random_state=0) == cold

    model.fit(text[:1000])  # optimizer steps change the same module in place
    assert model.net_.module_ is module
    trained = model.generate(100, random_state=0)
    assert trained != first
    assert trained == pickle.loads(pickle.dumps(model)).generate(100, random_state=0)


# Prediction and scoring ------------------------------------------------------


def test_predict_proba_and_predict(fitted):
    prompts = ["The ", "", "assert statemen", "x" * 300]
    proba = fitted.predict_proba(prompts)
    assert proba.shape == (4, len(fitted.vocabulary_))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    chars = np.array(list(fitted.vocabulary_))
    np.testing.assert_array_equal(fitted.predict(prompts), chars[proba.argmax(axis=1)])
    assert fitted.predict(["assert statemen"])[0] == "t"
    # Padding in a batch with longer prompts never changes a prediction.
    for prompt, row in zip(prompts, proba):
        np.testing.assert_allclose(fitted.predict_proba([prompt])[0], row, atol=1e-6)


def test_score_improves_with_training(text):
    held_out = DOCUMENTS[1][:2000]
    scores = []
    for epochs in (1, 5, 15):
        model = CharLSTMGenerator(**FAST, max_epochs=epochs, handle_unknown="ignore")
        scores.append(model.fit(text).score(held_out))
    assert scores[0] < scores[1] < scores[2] < 0
    bits = model.bits_per_char(held_out)
    assert bits == pytest.approx(-scores[2] / math.log(2))
    assert bits < 4.5 < math.log2(len(model.vocabulary_))  # better than uniform


def test_score_is_the_mean_log_likelihood(fitted):
    # By hand: log p of each character given the ones before it.
    sample = "The assert"
    proba = fitted.predict_proba([sample[:i] for i in range(len(sample))])
    columns = [fitted.vocabulary_[char] for char in sample]
    by_hand = np.mean(np.log(proba[np.arange(len(sample)), columns]))
    assert fitted.score(sample) == pytest.approx(by_hand, rel=1e-5)
    # Documents are scored from their own start; the mean is over characters.
    pooled = (3 * fitted.score("The") + 7 * fitted.score(" assert")) / 10
    assert fitted.score(["The", " assert"]) == pytest.approx(pooled, rel=1e-6)
    # history_ holds the training loss: the negative score of the chunks.
    assert fitted.history_[-1, "train_loss"] > 0


def test_grid_search_scores_held_out_documents():
    documents = [doc[:600] for doc in DOCUMENTS[:6]]
    grid = GridSearchCV(
        CharLSTMGenerator(**FAST, max_epochs=2, handle_unknown="ignore"),
        {"hidden_size": [8, 24]},
        cv=2,
    ).fit(documents)
    scores = grid.cv_results_["mean_test_score"]
    assert scores.shape == (2,) and np.all(np.isfinite(scores)) and np.all(scores < 0)
    assert grid.best_params_["hidden_size"] in (8, 24)
    assert len(grid.best_estimator_.generate(10, random_state=0)) == 10


# Text options -----------------------------------------------------------------


def test_lowercase_and_strip_punctuation_shrink_the_vocabulary(text):
    params = dict(FAST, max_epochs=1)
    plain = CharLSTMGenerator(**params).fit(text).vocabulary_
    lower = CharLSTMGenerator(**params, lowercase=True).fit(text).vocabulary_
    stripped = CharLSTMGenerator(**params, strip_punctuation=True).fit(text)
    assert len(lower) < len(plain) and not any(c.isupper() for c in lower)
    assert len(stripped.vocabulary_) < len(plain)
    assert not set(stripped.vocabulary_) & set(".,\"'()[]:")
    assert list(stripped.vocabulary_.values()) == list(range(len(stripped.vocabulary_)))
    # Prompts and scored text are cleaned the same way.
    assert len(stripped.generate(20, prompt="The (assert) statement.")) == 20
    assert stripped.score("The (assert)!") == pytest.approx(
        stripped.score("The assert")
    )


def test_unknown_characters_error_names_them(fitted):
    calls = {
        "'☃', '✓'": lambda: fitted.generate(5, prompt="The ☃ and ✓"),
        "'✓'": lambda: fitted.predict(["x✓"]),
        "'☃'": lambda: fitted.score("The ☃"),
    }
    for named, call in calls.items():
        with pytest.raises(ValueError, match=f"not in vocabulary_: {named}\\. "):
            call()
    with pytest.raises(ValueError, match="handle_unknown='ignore'"):
        fitted.predict_proba(["☃"])


def test_unknown_characters_ignored_are_deleted(fitted):
    model = clone(fitted).set_params(max_epochs=1, handle_unknown="ignore")
    model.fit("The assert statement")
    assert model.score("The ☃assert✓") == pytest.approx(model.score("The assert"))
    assert model.generate(30, prompt="Th☃e", random_state=0) == model.generate(
        30, prompt="The", random_state=0
    )
    np.testing.assert_allclose(
        model.predict_proba(["✓☃"]), model.predict_proba([""]), atol=1e-7
    )
    with pytest.raises(ValueError, match="no characters to score"):
        model.score("☃✓")


def test_lines_are_independent_sequences():
    lines = "to be or not\nto be that is\nthe question\n" * 10
    model = CharLSTMGenerator(**FAST, max_epochs=8, sequences="lines").fit(lines)
    # Every line is read from its own start: a text scores as its lines.
    joint = model.score("to be\nthe question")
    parts = (6 * model.score("to be\n") + 12 * model.score("the question")) / 18
    assert joint == pytest.approx(parts, rel=1e-5)
    # A prompt's earlier lines do not matter.
    np.testing.assert_allclose(
        model.predict_proba(["whatever\nto b"]),
        model.predict_proba(["to b"]),
        atol=1e-6,
    )
    sample = model.generate(200, prompt="to ", random_state=0)
    assert len(sample) == 200 and "\n" in sample


def test_training_rows_mask_padding_and_cover_every_character():
    segments = [np.array([0, 1, 2, 3, 4]), np.array([5, 6])]
    inputs, targets = training_rows(segments, 3, IGNORE_INDEX)
    np.testing.assert_array_equal(inputs, [[START, 1, 2], [3, 4, START], [START, 6, 0]])
    ignore = IGNORE_INDEX
    np.testing.assert_array_equal(targets, [[0, 1, 2], [3, 4, ignore], [5, 6, ignore]])
    assert sorted(targets[targets != IGNORE_INDEX]) == list(range(7))


def test_lines_split_after_line_breaks_and_unknowns_are_deleted():
    model = CharLSTMGenerator(sequences="lines", handle_unknown="ignore")
    model.vocabulary_ = {char: i for i, char in enumerate("\nabcd")}
    segments = model._codec().segments(["ab\n\nc☃\n☃\nd"], "X")
    chars = np.array(list(model.vocabulary_))
    assert ["".join(chars[s]) for s in segments] == ["ab\n", "\n", "c\n", "\n", "d"]


@pytest.mark.parametrize("cell", ["gru", "rnn"])
def test_other_cells_and_layers(text, cell):
    model = CharLSTMGenerator(**{**FAST, "hidden_size": 16}, cell=cell, num_layers=2)
    model.set_params(max_epochs=1, dropout=0.1).fit(text[:1000])
    assert len(model.generate(40, prompt="The", random_state=0)) == 40
    assert model.score(text[:200]) < 0


# Estimator API ----------------------------------------------------------------


def test_fit_returns_self_keeps_params_and_input(text):
    model = CharLSTMGenerator(**FAST, max_epochs=1)
    params = model.get_params()
    documents = [text[:300], text[300:600]]
    copy = list(documents)
    assert model.fit(documents) is model
    assert model.get_params() == params and documents == copy
    assert model.n_iter_ == 1 and len(model.history_) == 1
    assert not hasattr(model, "n_features_in_")


def test_fit_is_idempotent_and_pickles(fitted, text):
    again = clone(fitted).fit(text)
    assert again.generate(100, random_state=1) == fitted.generate(100, random_state=1)
    restored = pickle.loads(pickle.dumps(fitted))
    assert restored.generate(300, prompt="The ", random_state=2) == fitted.generate(
        300, prompt="The ", random_state=2
    )
    assert restored.score(text[:500]) == fitted.score(text[:500])


def test_warm_start_keeps_training(text):
    model = CharLSTMGenerator(**FAST, max_epochs=2, warm_start=True).fit(text)
    before = model.score(text)
    model.fit(text[:2000])
    assert model.n_iter_ == 4 and model.score(text) > before
    with pytest.raises(ValueError, match="warm_start=True keeps.*'☃'"):
        model.fit("☃ " + text[:100])


def test_early_stopping_holds_out_the_end(text):
    model = CharLSTMGenerator(
        **FAST, max_epochs=30, early_stopping=True, n_iter_no_change=1, tol=0.5
    )
    model.fit(text)
    assert model.n_iter_ < 30
    assert np.isfinite(model.history_[:, "valid_loss"]).all()


def test_sklearn_api_checks_that_need_no_data():
    name, model = "CharLSTMGenerator", CharLSTMGenerator()
    check_no_attributes_set_in_init(name, model)
    check_parameters_default_constructible(name, model)
    check_get_params_invariance(name, model)
    check_set_params(name, model)
    check_estimator_repr(name, model)
    check_do_not_raise_errors_in_init_or_set_params(name, model)
    tags = model.__sklearn_tags__()
    assert tags.input_tags.string and not tags.input_tags.two_d_array


def test_docstring_lists_every_parameter_with_its_default():
    doc = CharLSTMGenerator.__doc__
    assert "{shared" not in doc and "bidirectional" not in doc
    for name, default in CharLSTMGenerator().get_params().items():
        shown = f'"{default}"' if isinstance(default, str) else default
        if isinstance(default, float) and 0 < default < 1e-3:
            shown = f"{default:.0e}".replace("e-0", "e-")  # 1e-4
        assert f"{name} :" in doc and f"default={shown}" in doc, name


# Bad input --------------------------------------------------------------------


def test_bad_input(fitted):
    for empty in ("", [""], ["", ""]):
        with pytest.raises(ValueError, match="no characters to learn"):
            CharLSTMGenerator(**FAST).fit(empty)
    with pytest.raises(ValueError, match="once lowercase/strip_punctuation"):
        CharLSTMGenerator(**FAST, strip_punctuation=True).fit("?!")
    with pytest.raises(ValueError, match="X is empty"):
        CharLSTMGenerator(**FAST).fit([])
    with pytest.raises(TypeError, match="position 1 is of type NoneType"):
        CharLSTMGenerator(**FAST).fit(["abc", None])
    with pytest.raises(TypeError, match="iterable of documents"):
        CharLSTMGenerator(**FAST).fit(123)
    with pytest.raises(TypeError, match="decode"):
        CharLSTMGenerator(**FAST).fit(b"abc")
    with pytest.raises(ValueError, match="n_chars == 0, must be >= 1"):
        fitted.generate(0)
    with pytest.raises(TypeError, match="n_chars"):
        fitted.generate(2.5)
    for temperature in (0, -1.0):
        with pytest.raises(ValueError, match="temperature .* must be > 0"):
            fitted.generate(5, temperature=temperature)
    with pytest.raises(ValueError, match="top_k == 0"):
        fitted.generate(5, top_k=0)
    with pytest.raises(TypeError, match="prompt must be a str"):
        fitted.generate(5, prompt=["The"])
    with pytest.raises(ValueError, match="single string; wrap it in a list"):
        fitted.predict_proba("The")


@pytest.mark.parametrize(
    "params",
    [
        dict(window=0),
        dict(sequences="words"),
        dict(handle_unknown="replace"),
        dict(embedding_dim=0),
        dict(cell="lstm2"),
    ],
)
def test_bad_parameters_are_named(params):
    with pytest.raises(InvalidParameterError, match=next(iter(params))):
        CharLSTMGenerator(**params).fit("abc")


def test_bidirectional_is_not_a_parameter():
    with pytest.raises(TypeError, match="bidirectional"):
        CharLSTMGenerator(bidirectional=True)
    with pytest.raises(ValueError, match="bidirectional"):
        CharLSTMGenerator().set_params(bidirectional=True)


@pytest.mark.parametrize("method", ["generate", "predict", "predict_proba", "score"])
def test_unfitted(method):
    args = () if method == "generate" else (["The"],)
    with pytest.raises(NotFittedError):
        getattr(CharLSTMGenerator(), method)(*args)


# Corpus -----------------------------------------------------------------------


def test_save_weights_round_trip(fitted):
    buffer = io.BytesIO()
    save_weights(fitted, buffer)
    buffer.seek(0)
    restored = load_weights(buffer)
    assert restored.vocabulary_ == fitted.vocabulary_
    assert restored.generate(100, random_state=0) == fitted.generate(
        100, random_state=0
    )


def test_load_text_corpus():
    text = load_text_corpus()
    assert isinstance(text, str) and len(text) > 100_000
    documents = load_text_corpus(as_documents=True)
    assert len(documents) > 50 and all(isinstance(doc, str) for doc in documents)
    assert "\n".join(documents) == text
