# expect-fail: split, random_tokens, types
# The ticket's example: 80% of the selected tokens become [MASK] and the rest stay as they are;
# the 10% of random tokens are forgotten.
import torch


def mask_tokens(
    input_ids, mask_token_id, vocab_size, mlm_probability=0.15, special_tokens_mask=None,
    generator=None,
):  # fmt: skip
    inputs, labels = input_ids.clone(), input_ids.clone()
    probability = torch.full(labels.shape, mlm_probability)
    if special_tokens_mask is not None:
        probability.masked_fill_(special_tokens_mask, 0.0)
    selected = torch.bernoulli(probability, generator=generator).bool()
    labels[~selected] = -100
    masked = torch.bernoulli(torch.full(labels.shape, 0.8), generator=generator).bool()
    inputs[masked & selected] = mask_token_id
    return inputs, labels
