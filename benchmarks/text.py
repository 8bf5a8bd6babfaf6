"""Sentences for generated tickets, in English and Russian.

Sentences are assembled from fragments once, at import, so that generating a million tickets
costs a random choice per sentence; their search form (stems) is computed once per sentence.

Two marker words have fixed frequencies, for the search benchmarks: ``RARE_WORD`` appears in
about 1 % of tickets and ``COMMON_WORD`` in about 30 %; neither occurs anywhere else.
"""

from __future__ import annotations

import itertools

RARE_WORD = "sandbox"
COMMON_WORD = "please"

EN_PRODUCTS = [
    "dashboard",
    "mobile app",
    "invoice page",
    "export",
    "API",
    "login page",
    "billing portal",
    "report builder",
    "calendar sync",
    "notifications",
    "search",
    "file upload",
    "integration",
]
EN_PROBLEMS = [
    "does not load",
    "shows an error",
    "is very slow",
    "crashes on start",
    "logs me out",
    "returns a timeout",
    "sends duplicate emails",
    "shows the wrong totals",
    "stopped working",
    "is missing data",
    "cannot be opened",
    "keeps spinning",
]
EN_OPENERS = ["Hello,", "Hi team,", "Good morning,", "Dear support,", "Hey,"]
EN_DETAILS = [
    "It started after the update yesterday.",
    "Our whole team is affected.",
    "We tried another browser.",
    "This blocks our month-end closing.",
    "I attached a screenshot of the error.",
    "Nothing changed on our side.",
    "It happens every time we try.",
    "Clearing the cache did not help.",
    "Can you look at it today?",
    "We have a demo with a client tomorrow.",
    "The error code is 502.",
    "It works for some users only.",
]
EN_REPLIES = [
    "Thank you for reaching out.",
    "We are looking into it now.",
    "Could you send the exact time it happened?",
    "Our developers found the cause.",
    "A fix is being deployed.",
    "Can you confirm it works now?",
    "I have escalated this to the engineering team.",
    "Sorry for the trouble.",
]
EN_SUBJECTS = [
    "{p} {e}",
    "Problem with {p}",
    "Question about {p}",
    "{p}: {e}",
    "Urgent: {p} {e}",
    "Feature request for {p}",
    "Refund for {p}",
    "How do I use {p}?",
]

RU_PRODUCTS = [
    "личный кабинет",
    "мобильное приложение",
    "выгрузка отчётов",
    "оплата",
    "интеграция с CRM",
    "страница входа",
    "уведомления",
    "поиск",
    "загрузка файлов",
    "синхронизация календаря",
    "тарифы",
    "счета",
    "API",
]
RU_PROBLEMS = [
    "не работает",
    "выдаёт ошибку",
    "очень медленно грузится",
    "падает при запуске",
    "не открывается",
    "показывает неверные суммы",
    "не приходят письма",
    "зависает",
    "пропали данные",
    "не сохраняет изменения",
]
RU_OPENERS = ["Здравствуйте!", "Добрый день!", "Привет!", "Уважаемая поддержка,", "Доброе утро,"]
RU_DETAILS = [
    "Началось после вчерашнего обновления.",
    "Проблема у всей команды.",
    "Пробовали другой браузер.",
    "Это блокирует закрытие месяца.",
    "Прикладываю скриншот ошибки.",
    "У нас ничего не менялось.",
    "Повторяется каждый раз.",
    "Очистка кэша не помогла.",
    "Посмотрите, пожалуйста, сегодня.",
    "Завтра демонстрация клиенту.",
    "Код ошибки 502.",
    "У части пользователей всё работает.",
]
RU_REPLIES = [
    "Спасибо за обращение.",
    "Мы уже разбираемся.",
    "Подскажите точное время ошибки.",
    "Разработчики нашли причину.",
    "Исправление выкатывается.",
    "Проверьте, пожалуйста, сейчас работает?",
    "Я передал вопрос инженерам.",
    "Извините за неудобства.",
]
RU_SUBJECTS = [
    "{p} {e}",
    "Проблема: {p}",
    "Вопрос про {p}",
    "{p} — {e}",
    "Срочно: {p} {e}",
    "Предложение по {p}",
    "Возврат оплаты за {p}",
    "Как настроить {p}?",
]

EN_FIRST = [
    "Alice",
    "Bob",
    "Carol",
    "Dan",
    "Emma",
    "Frank",
    "Grace",
    "Henry",
    "Isla",
    "Jack",
    "Kate",
    "Liam",
    "Mia",
    "Noah",
    "Olivia",
    "Paul",
    "Quinn",
    "Rose",
    "Sam",
    "Tina",
]
EN_LAST = ["Smith", "Johnson", "Brown", "Taylor", "Wilson", "Clark", "Lewis", "Walker", "Young", "King"]
RU_FIRST = [
    "Анна",
    "Борис",
    "Виктория",
    "Глеб",
    "Дарья",
    "Егор",
    "Жанна",
    "Иван",
    "Ксения",
    "Лев",
    "Мария",
    "Никита",
    "Ольга",
    "Павел",
    "Светлана",
    "Тимур",
]
RU_LAST = ["Иванов", "Петров", "Смирнов", "Кузнецов", "Попов", "Соколов", "Лебедев", "Козлов", "Новиков"]

COMPANY_WORDS = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Hooli",
    "Vandelay",
    "Soylent",
    "Tyrell",
    "Ромашка",
    "Вектор",
    "Альфа",
    "Сфера",
    "Северсталь",
    "Техно",
]
COMPANY_SUFFIX = ["Inc", "LLC", "Group", "Labs", "Systems", "Ltd", "ООО", "АО"]

TAGS = [
    "login",
    "billing",
    "refund",
    "bug",
    "outage",
    "mobile",
    "api",
    "export",
    "vip",
    "onboarding",
    "integration",
    "performance",
    "security",
    "invoice",
    "feature",
    "sso",
    "email",
    "sync",
    "ux",
    "docs",
    "russian",
    "enterprise",
    "churn-risk",
    "data-loss",
    "upgrade",
    "trial",
    "renewal",
    "legal",
    "gdpr",
    "beta",
]


def _subjects(templates: list[str], products: list[str], problems: list[str]) -> list[str]:
    out = []
    for t, p, e in itertools.product(templates, products, problems):
        s = t.format(p=p, e=e)
        out.append(s[0].upper() + s[1:])
    return out


EN_SUBJECT_POOL = _subjects(EN_SUBJECTS, EN_PRODUCTS, EN_PROBLEMS)
RU_SUBJECT_POOL = _subjects(RU_SUBJECTS, RU_PRODUCTS, RU_PROBLEMS)
EN_CUSTOMER_POOL = [
    f"{o} The {p} {e}. {d}"
    for o, p, e, d in itertools.product(EN_OPENERS, EN_PRODUCTS, EN_PROBLEMS, EN_DETAILS)
]
RU_CUSTOMER_POOL = [
    f"{o} {p.capitalize()} {e}. {d}"
    for o, p, e, d in itertools.product(RU_OPENERS, RU_PRODUCTS, RU_PROBLEMS, RU_DETAILS)
]
EN_AGENT_POOL = [f"{a} {b}" for a, b in itertools.permutations(EN_REPLIES, 2)]
RU_AGENT_POOL = [f"{a} {b}" for a, b in itertools.permutations(RU_REPLIES, 2)]
EN_NOTE_POOL = [
    "Checked the logs, looks like the cache node again.",
    "Customer is on the annual plan, be careful.",
    "Asked the developers in the incident channel.",
    "Same as last week's ticket, see the runbook.",
]
RU_NOTE_POOL = [
    "Посмотрел логи, похоже снова узел кэша.",
    "Клиент на годовом тарифе, аккуратно.",
    "Спросил разработчиков в канале инцидентов.",
    "То же, что на прошлой неделе, см. регламент.",
]
