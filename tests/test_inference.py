"""The one forward path: batches, threads, modes and carried state."""

import numpy as np
import pytest
import torch

from sklrnn import LSTMRegressor, SequenceClassifier
from sklrnn._modules import RecurrentModule


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 6, 1)).astype(np.float32)
    return X, X.sum(axis=(1, 2))


def _count_forward_calls(module):
    calls = []
    handle = module.register_forward_hook(lambda *args: calls.append(1))
    return calls, handle


def test_predict_batches_follow_iterator_valid_batch_size(data):
    X, y = data
    reg = LSTMRegressor(
        hidden_size=4,
        max_epochs=1,
        batch_size=10,
        net_kwargs={"iterator_valid__batch_size": 25},
        random_state=0,
    ).fit(X, y)
    calls, handle = _count_forward_calls(reg.net_.module_)
    reg.predict(X)
    handle.remove()
    assert len(calls) == 4
    default = LSTMRegressor(hidden_size=4, max_epochs=1, batch_size=10).fit(X, y)
    calls, handle = _count_forward_calls(default.net_.module_)
    default.predict(X)
    handle.remove()
    assert len(calls) == 10


def test_predict_puts_the_training_mode_back(data):
    X, y = data
    clf = SequenceClassifier(hidden_size=4, max_epochs=1, random_state=0)
    clf.fit(X, y > 0)
    clf.net_.module_.train(True)
    proba = clf.predict_proba(X)
    assert clf.net_.module_.training
    # Evaluation mode inside: BatchNorm's running statistics and no dropout.
    np.testing.assert_array_equal(clf.predict_proba(X), proba)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_reading_in_slices_carries_the_state(cell):
    torch.manual_seed(0)
    module = RecurrentModule(
        None,
        5,
        cell=cell,
        hidden_size=6,
        num_layers=2,
        num_embeddings=9,
        embedding_dim=3,
        pooling=None,
    ).eval()
    ids = torch.randint(0, 9, (3, 20))
    with torch.inference_mode():
        whole = module(ids)
        first, state = module(ids[:, :7], return_state=True)
        second = module(ids[:, 7:], state=state)
    torch.testing.assert_close(torch.cat([first, second], dim=1), whole)
