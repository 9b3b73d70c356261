"""Лабораторная «Блок Transformer Encoder»: заполните класс."""

import torch
from torch import nn


class TransformerEncoderBlock(nn.Module):
    def __init__(self, embed_dim=64, num_heads=4, ff_dim=256, dropout=0.1):
        super().__init__()
        # Слои блока: nn.MultiheadAttention(..., batch_first=True), nn.LayerNorm,
        # сеть прямого распространения, nn.Dropout.

    def forward(self, x: torch.Tensor, key_padding_mask: torch.Tensor | None = None):
        """x: (N, S, E); key_padding_mask: bool (N, S), True — паддинг. Возвращает (N, S, E)."""
        raise NotImplementedError
