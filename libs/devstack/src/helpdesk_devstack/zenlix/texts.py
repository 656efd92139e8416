"""Words for generated ZENLIX data, in Russian and English, as helpdesks write them."""

from __future__ import annotations

import random

SURNAMES = ["Иванов", "Петров", "Сидоренко", "Коваленко", "Smith", "Brown", "Шевченко", "Кузнецов", "Taylor"]
NAMES = ["Иван", "Пётр", "Ольга", "Мария", "John", "Anna", "Алексей", "Наталья", "Emma"]
PATRONYMICS = ["Иванович", "Петровна", "Сергеевич", "Олеговна", ""]
DEPARTMENTS = [
    "Техподдержка",
    "Hosting dep",
    "Сетевая безопасность",
    "Бухгалтерия",
    "Web-designers dep",
    "SEO",
]
COMPANIES = ["ООО «Ромашка»", "Company A", "ЗАО Вектор", "Globex", "ТОВ Світанок", "Initech"]
POSITIONS = ["администратор", "coordinator", "инженер", "manager", "бухгалтер", "оператор"]
SUBJECTS = [
    "Не работает принтер",
    "Printer on fire",
    "Нет доступа к почте",
    "VPN keeps disconnecting",
    "Установить 1С",
    "Замена картриджа",
    "New laptop for a new hire",
    "Сломался монитор",
    "Password reset",
    "Медленный интернет",
]
SENTENCES = [
    "Добрый день, проблема повторяется каждое утро.",
    "Please check it as soon as possible.",
    "Перезагрузка не помогла, ошибка 0x80070005.",
    "The issue started after yesterday's update.",
    "Коллеги из соседнего кабинета жалуются на то же самое.",
    "Attached a screenshot of the error.",
    "Сделал, проверьте пожалуйста.",
    "Can you take a look & tell me if it's <fine>?",
    "Спасибо, всё работает!",
    "Заявка передана в отдел сетевой безопасности.",
]


def person(rng: random.Random) -> str:
    return " ".join(p for p in (rng.choice(SURNAMES), rng.choice(NAMES), rng.choice(PATRONYMICS)) if p)


def paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(rng.choice(SENTENCES) for _ in range(sentences))
