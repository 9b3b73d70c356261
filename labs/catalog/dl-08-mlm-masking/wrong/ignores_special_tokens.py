# expect-fail: special_tokens
# special_tokens_mask is ignored: [CLS], [SEP] and padding get selected and masked too.
import torch


def mask_tokens(
    input_ids, mask_token_id, vocab_size, mlm_probability=0.15, special_tokens_mask=None,
    generator=None,
):  # fmt: skip
    inputs, labels = input_ids.clone(), input_ids.clone()
    probability = torch.full(labels.shape, mlm_probability)
    selected = torch.bernoulli(probability, generator=generator).bool()
    labels[~selected] = -100
    masked = torch.bernoulli(torch.full(labels.shape, 0.8), generator=generator).bool()
    masked &= selected
    inputs[masked] = mask_token_id
    random = torch.bernoulli(torch.full(labels.shape, 0.5), generator=generator).bool()
    random &= selected & ~masked
    inputs[random] = torch.randint(vocab_size, labels.shape, generator=generator)[random]
    return inputs, labels
