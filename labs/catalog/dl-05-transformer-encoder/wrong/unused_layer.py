# expect-fail: gradients
# An output projection is created in __init__ but never applied in forward: no gradient ever
# reaches its parameters.
import torch
from torch import nn


class TransformerEncoderBlock(nn.Module):
    """Post-norm encoder block: self-attention and a feed-forward network, each wrapped in a
    residual connection with dropout, followed by LayerNorm."""

    def __init__(self, embed_dim=64, num_heads=4, ff_dim=256, dropout=0.1):
        super().__init__()
        self.attention = nn.MultiheadAttention(
            embed_dim, num_heads, dropout=dropout, batch_first=True
        )
        self.norm1 = nn.LayerNorm(embed_dim)
        self.dropout1 = nn.Dropout(dropout)
        self.ffn = nn.Sequential(
            nn.Linear(embed_dim, ff_dim),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(ff_dim, embed_dim),
        )
        self.norm2 = nn.LayerNorm(embed_dim)
        self.dropout2 = nn.Dropout(dropout)
        self.output = nn.Linear(embed_dim, embed_dim)

    def forward(self, x: torch.Tensor, key_padding_mask: torch.Tensor | None = None):
        attended, _weights = self.attention(
            x, x, x, key_padding_mask=key_padding_mask, need_weights=False
        )
        x = self.norm1(x + self.dropout1(attended))
        return self.norm2(x + self.dropout2(self.ffn(x)))
