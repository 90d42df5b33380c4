"""Every network starts as Keras starts the same layers."""

import math

import pytest
import torch

from sklrnn._modules import RecurrentModule


@pytest.mark.parametrize("cell, gates", [("lstm", 4), ("gru", 3), ("rnn", 1)])
def test_recurrent_layers_start_as_keras(cell, gates):
    torch.manual_seed(0)
    module = RecurrentModule(3, 2, cell=cell, hidden_size=6, num_layers=2)
    for name, param in module.rnn.named_parameters():
        if name.startswith("weight_hh"):
            for block in param.detach().split(6):  # orthogonal per gate
                torch.testing.assert_close(block @ block.T, torch.eye(6))
        elif name.startswith("bias"):
            want = torch.zeros(gates * 6)
            if cell == "lstm" and name.startswith("bias_ih"):
                want[6:12] = 1.0  # the forget gate remembers at first
            torch.testing.assert_close(param.detach(), want)


def test_head_starts_as_a_keras_dense_layer():
    torch.manual_seed(0)
    head = RecurrentModule(3, 5, hidden_size=40, bidirectional=True).head
    assert torch.count_nonzero(head.bias) == 0
    glorot_bound = math.sqrt(6 / (80 + 5))
    assert head.weight.abs().max() <= glorot_bound
    # Uniform over the whole bound, not torch's narrower default 1/sqrt(80).
    assert head.weight.abs().max() > 1 / math.sqrt(80)
