# expect-fail: per_step
# The classic: one coin per call decides teacher forcing for the whole sequence, so a batch is
# either entirely teacher-forced or entirely free-running. The average ratio is right; the
# steps never mix.
import torch
from torch import nn


class SeqModel(nn.Module):
    """A GRU cell unrolled by hand: step 0 reads x[:, 0]; every later step reads either the
    previous target (teacher forcing, one coin per step) or the model's own previous output,
    mapped back to input_size by a linear layer."""

    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.cell = nn.GRUCell(input_size, hidden_size)
        self.head = nn.Linear(hidden_size, output_size)
        self.back = nn.Linear(output_size, input_size)  # an output (or target) as an input

    def forward(self, x, targets=None, teacher_forcing_ratio=0.5):
        hidden = x.new_zeros(x.shape[0], self.cell.hidden_size)
        inp = x[:, 0]
        outputs = []
        forced = targets is not None and torch.rand(()).item() < teacher_forcing_ratio
        for t in range(x.shape[1]):
            hidden = self.cell(inp, hidden)
            out = self.head(hidden)
            outputs.append(out)
            inp = self.back(targets[:, t] if forced else out)
        return torch.stack(outputs, dim=1)


def teacher_forcing_schedule(epoch, total_epochs):
    """Linear decay from 1 at the first epoch to 0 at the last."""
    if total_epochs <= 1:
        return 1.0
    return max(0.0, 1.0 - epoch / (total_epochs - 1))
