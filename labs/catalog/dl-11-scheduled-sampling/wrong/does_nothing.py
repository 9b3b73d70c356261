# expect-fail: free_running, schedule, ratio_one, ratio_zero, per_step
# expect-score: 0
# Right shapes, no model: zeros of the right shape and a constant schedule.
import torch
from torch import nn


class SeqModel(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.output_size = output_size
        self.bias = nn.Parameter(torch.zeros(output_size))

    def forward(self, x, targets=None, teacher_forcing_ratio=0.5):
        return self.bias.expand(x.shape[0], x.shape[1], self.output_size)


def teacher_forcing_schedule(epoch, total_epochs):
    return 0.5
