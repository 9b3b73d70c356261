"""Every learner-facing message of labkit, in Russian, in one place.

labkit runs inside the grading sandbox, where Django and its translation catalog are not
available, so these are plain constants, like the Russian messages of the lab judges; the
project's gettext catalog is for the site itself. The texts name what is wrong and who can fix
it, never a traceback. Placeholders are filled with ``str.format``.
"""

DATASET_MISSING = (
    "Набор данных {name} не установлен на этом сервере проверки (нет файла {file}). "
    "Ваш код здесь ни при чём: сообщите преподавателю или администратору курса."
)
DATASET_DAMAGED = (
    "Набор данных {name} на этом сервере проверки повреждён ({file}: {problem}). "
    "Ваш код здесь ни при чём: сообщите преподавателю или администратору курса."
)
DATASET_HELD_OUT = (
    "Тестовая часть набора {name} (split='test', а значит и 'all') недоступна решениям: "
    "проверяющая система держит её у себя, чтобы оценить вашу модель на данных, которых та не "
    "видела. Обучайте модель на части 'train'; для валидации отложите часть её строк."
)
UNKNOWN_DATASET = "Неизвестный набор данных {name!r}. Доступны: {names}."
UNKNOWN_SPLIT = (
    "Неизвестная часть набора {split!r}: укажите 'train' (обучающая), 'test' (тестовая) "
    "или 'all' (обе подряд)."
)
BAD_LIMIT = "limit должен быть None или целым числом не меньше 0, а получено {limit!r}."

# Details for DATASET_DAMAGED ({problem}).
PROBLEM_TRUNCATED = "файл короче, чем указано в его заголовке"
PROBLEM_FORMAT = "неожиданный формат файла"
PROBLEM_LABELS = "метки классов вне допустимого диапазона"
PROBLEM_SHAPE = "неожиданная форма данных"
PROBLEM_UNREADABLE = "файл не читается"
