"""Russian customers write from Gmail, Outlook, Yandex, Mail.ru, Apple Mail and Thunderbird in
utf-8, koi8-r and windows-1251: the ticket shows just their reply (no quoted history, no marked
signature), their name and subject readable, attachments named right; out-of-office answers
are recognised (fixtures written byte by byte in tests/email/fixtures/ru/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from zabota.channels.email.parse import parse

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "ru"

REPLIES = {
    "gmail_utf8_qp.eml": (
        "Re: [#1042] Не работает принтер",
        "Иван Петров",
        "Здравствуйте!\n\nПерезагрузка не помогла, принтер снова пишет ошибку E-05.\nФото экрана во вложении.",
        ["фото экрана.png"],
    ),
    "outlook_cp1251_qp.eml": (
        "RE: [#1043] Счёт на оплату",
        "Мария Сидорова",
        "Добрый день.\n\nВысылаю счёт, как договаривались. Оплату проведём до пятницы.\n\n"
        "С уважением,\nМария Сидорова\nбухгалтерия",
        ["Счёт №17.pdf"],
    ),
    "yandex_koi8r_base64.eml": (
        "Re: [#1044] Не приходят письма",
        "Ольга Смирнова",
        "Спасибо, заработало!\nВопрос можно закрывать.",
        [],
    ),
    "mailru_cp1251_base64.eml": (
        "Re: [#1045] Где мой заказ?",
        "Сергей Кузнецов",
        "Добрый день!\nНомер заказа 55-1042, доставка на Лесную, 5.",
        [],
    ),
    "applemail_utf8_qp.eml": ("Re: [#1046] Выезд мастера", "Анна Волкова", "Да, завтра после 12 удобно.", []),
    "thunderbird_koi8r_qp.eml": (
        "Re: [#1047] Договор",
        "Дмитрий Орлов",
        "Добрый день,\n\nприкладываю подписанный договор. Оригинал отправим почтой.",
        ["Договор поставки № 2026-12 (подписанный).docx"],
    ),
}


@pytest.mark.parametrize("name", sorted(REPLIES))
def test_a_russian_reply_is_read_as_just_the_new_text(name: str) -> None:
    subject, sender, text, attachments = REPLIES[name]
    parsed = parse((FIXTURES / name).read_bytes())
    assert parsed.subject == subject
    assert parsed.from_name == sender
    assert parsed.new_text == text
    assert [a.name for a in parsed.attachments] == attachments
    assert parsed.in_reply_to or parsed.references  # it threads
    assert not parsed.is_auto_reply and not parsed.auto_submitted and parsed.bounce is None


def test_html_replies_lose_the_quote_too() -> None:
    gmail = parse((FIXTURES / "gmail_utf8_qp.eml").read_bytes())
    assert "Перезагрузка не помогла" in gmail.new_html and "перезагрузить принтер" not in gmail.new_html
    yandex = parse((FIXTURES / "yandex_koi8r_base64.eml").read_bytes())
    assert "Спасибо, заработало!" in yandex.new_html
    assert "перезагрузить" not in yandex.new_html and "04.12.2026" not in yandex.new_html
    assert "перезагрузить принтер" in yandex.text  # the full text stays for agents


@pytest.mark.parametrize(
    ("name", "auto_submitted"),
    [
        ("ooo_en_outlook_autosubmitted.eml", "Auto-Submitted: auto-replied"),
        ("ooo_en_no_header.eml", "automatic reply subject"),
        ("ooo_ru_yandex_autosubmitted.eml", "Auto-Submitted: auto-replied"),
        ("ooo_ru_outlook_no_header.eml", "automatic reply subject"),
    ],
)
def test_out_of_office_answers_are_recognised(name: str, auto_submitted: str) -> None:
    parsed = parse((FIXTURES / name).read_bytes())
    assert parsed.is_auto_reply
    assert parsed.auto_submitted == auto_submitted
    assert parsed.bounce is None
    assert parsed.new_text


def test_undeclared_8bit_headers_take_the_body_charset() -> None:
    raw = (
        b"From: =?iso-8859-1?Q?J=FCrgen?= <j@example.de>\r\nTo: support@zabota.test\r\n"
        b"Subject: Die Hasen und die Fr\xf6sche\r\nMessage-ID: <h1@example.de>\r\n"
        b"Content-Type: text/plain; charset=iso-8859-1\r\n\r\nDie Hasen klagten einst \xfcber ihre Lage.\r\n"
    )
    parsed = parse(raw)
    assert parsed.subject == "Die Hasen und die Frösche"
    assert parsed.text == "Die Hasen klagten einst über ihre Lage."


def test_an_undeclared_western_body_is_not_mistaken_for_cyrillic() -> None:
    raw = b"From: a@example.de\r\nSubject: x\r\n\r\nGr\xfc\xdfe aus M\xfcnchen, sch\xf6ne Gr\xfc\xdfe, \xe4h, \xf6\xf6\xf6!\r\n"
    assert parse(raw).text == "Grüße aus München, schöne Grüße, äh, ööö!"


def test_a_byte_order_mark_and_obsolete_header_spacing_are_tolerated() -> None:
    raw = b"\xef\xbb\xbfFrom  : Carol <carol@acme.test>\r\nSubject   : Hello\r\n\r\nHi\r\n"
    parsed = parse(raw)
    assert (parsed.from_address, parsed.subject, parsed.text) == ("carol@acme.test", "Hello", "Hi")
