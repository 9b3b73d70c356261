# expect-fail: context, equivariance, padding, shapes, residual, gradients, modules
# expect-score: 0
# Builds the layers but returns its input: shape, "residual" and padding look right, and it
# is trivially equivariant, yet nothing is attended to, so nothing counts.
import torch
from torch import nn


class TransformerEncoderBlock(nn.Module):
    def __init__(self, embed_dim=64, num_heads=4, ff_dim=256, dropout=0.1):
        super().__init__()
        self.attention = nn.MultiheadAttention(embed_dim, num_heads, batch_first=True)
        self.norm = nn.LayerNorm(embed_dim)

    def forward(self, x: torch.Tensor, key_padding_mask=None):
        return x
