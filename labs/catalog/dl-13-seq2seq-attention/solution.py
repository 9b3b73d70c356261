"""Лабораторная «Seq2seq с вниманием»: заполните класс Seq2Seq и функцию translate."""

from torch import nn


class Seq2Seq(nn.Module):
    def __init__(self, src_vocab, tgt_vocab, hidden=128, pad_id=0):
        super().__init__()
        self.pad_id = pad_id

    def forward(self, src, tgt, teacher_forcing_ratio=0.5):
        raise NotImplementedError

    def attention_weights(self, src, tgt):
        raise NotImplementedError


def translate(model, src_ids, max_len, sos_id, eos_id):
    raise NotImplementedError
