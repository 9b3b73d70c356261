"""Лабораторная «Дистилляция знаний»: функция потерь, две модели и цикл дистилляции."""

import torch
from torch import nn


def distillation_loss(student_logits, teacher_logits, labels, temperature=4.0, alpha=0.7):
    """alpha * T^2 * KL(softmax(teacher/T) || softmax(student/T)) + (1 - alpha) * CE."""
    raise NotImplementedError


class Teacher(nn.Module):
    """Большая CNN: (N, 3, 32, 32) -> (N, 10) логитов."""

    def __init__(self) -> None:
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


class Student(nn.Module):
    """Маленькая CNN (не больше 1/4 параметров учителя): (N, 3, 32, 32) -> (N, 10)."""

    def __init__(self) -> None:
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


def distill(teacher, student, loader, epochs, device):
    """Обучает только student по выходам обученного teacher и возвращает student."""
    raise NotImplementedError
