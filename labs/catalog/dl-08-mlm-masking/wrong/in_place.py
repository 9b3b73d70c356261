# expect-fail: no_inplace
# Right rates and labels, but the masking is written into the caller's input_ids (as in the
# ticket's example code): the original batch is lost.
import torch


def mask_tokens(
    input_ids, mask_token_id, vocab_size, mlm_probability=0.15, special_tokens_mask=None,
    generator=None,
):  # fmt: skip
    labels = input_ids.clone()
    probability = torch.full(labels.shape, mlm_probability)
    if special_tokens_mask is not None:
        probability.masked_fill_(special_tokens_mask, 0.0)
    selected = torch.bernoulli(probability, generator=generator).bool()
    labels[~selected] = -100
    masked = torch.bernoulli(torch.full(labels.shape, 0.8), generator=generator).bool()
    masked &= selected
    input_ids[masked] = mask_token_id
    random = torch.bernoulli(torch.full(labels.shape, 0.5), generator=generator).bool()
    random &= selected & ~masked
    input_ids[random] = torch.randint(vocab_size, labels.shape, generator=generator)[random]
    return input_ids, labels
