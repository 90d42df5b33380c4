"""The recurrent layers start as Keras starts them."""

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
