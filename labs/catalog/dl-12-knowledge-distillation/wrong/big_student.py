# expect-fail: student_size
# A student as large as the teacher learns well, but it compresses nothing.
import torch
import torch.nn.functional as F
from torch import nn


def distillation_loss(student_logits, teacher_logits, labels, temperature=4.0, alpha=0.7):
    soft_student = F.log_softmax(student_logits / temperature, dim=1)
    soft_teacher = F.softmax(teacher_logits / temperature, dim=1)
    kl = F.kl_div(soft_student, soft_teacher, reduction="batchmean")
    hard = F.cross_entropy(student_logits, labels)
    return alpha * temperature**2 * kl + (1 - alpha) * hard


class Teacher(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(16 * 8 * 8, 32), nn.ReLU(), nn.Linear(32, 10),
        )  # fmt: skip

    def forward(self, x):
        return self.net(x)


class Student(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(8 * 16 * 16, 32), nn.ReLU(), nn.Linear(32, 10),
        )  # fmt: skip

    def forward(self, x):
        return self.net(x)


def distill(teacher, student, loader, epochs, device):
    teacher.to(device).eval()
    student.to(device).train()
    optimizer = torch.optim.Adam(student.parameters(), lr=3e-3)
    for _epoch in range(epochs):
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            with torch.no_grad():
                teacher_logits = teacher(images)
            loss = distillation_loss(student(images), teacher_logits, labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return student
