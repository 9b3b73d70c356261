"""Лабораторная «Маскирование токенов для MLM»: заполните функцию."""

import torch


def mask_tokens(
    input_ids: torch.Tensor,
    mask_token_id: int,
    vocab_size: int,
    mlm_probability: float = 0.15,
    special_tokens_mask: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
):
    """Возвращает (inputs, labels): замаскированную копию input_ids и метки (-100 там, где
    токен не выбран). Все случайные числа берите из generator."""
    raise NotImplementedError
