# expect-fail: generator, types
# The selection uses the generator, but the 80/10/10 split and the random tokens are drawn from
# the global generator: the rates are right, the result is not reproducible.
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
    masked = torch.bernoulli(torch.full(labels.shape, 0.8)).bool() & selected
    inputs[masked] = mask_token_id
    random = torch.bernoulli(torch.full(labels.shape, 0.5)).bool() & selected & ~masked
    inputs[random] = torch.randint(vocab_size, labels.shape)[random]
    return inputs, labels
